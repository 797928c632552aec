package io.wspush.endpoint;

import io.wspush.testing.Handshake;
import io.wspush.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Browsers offer permessage-deflate on every handshake; wspush accepts it only when the operator allows it. */
class PermessageDeflateIT {

    /** What Chromium sends. */
    static final Map<String, String> OFFER = Map.of("Sec-WebSocket-Extensions",
            "permessage-deflate; client_max_window_bits");

    static String upgrade(TestServer server) throws Exception {
        String head = Handshake.head(server.ws(), OFFER);
        assertTrue(head.startsWith("HTTP/1.1 101"), head);
        return head.toLowerCase(Locale.ROOT);
    }

    @Test
    void refusedByDefault() throws Exception {
        try (TestServer server = TestServer.start()) {
            String head = upgrade(server);
            assertFalse(head.contains("sec-websocket-extensions"), head);
            assertFalse(head.contains("deflate"), head);
        }
    }

    @Test
    void acceptedWhenTheSettingAllowsIt() throws Exception {
        try (TestServer server = TestServer.builder().set("ws.permessage-deflate", true).start()) {
            String head = upgrade(server);
            assertTrue(head.contains("sec-websocket-extensions: permessage-deflate"), head);
        }
    }
}
