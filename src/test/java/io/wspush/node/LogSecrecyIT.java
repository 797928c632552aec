package io.wspush.node;

import io.wspush.testing.LogCapture;
import io.wspush.testing.Awaiting;
import io.wspush.testing.Http;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Everything wspush logs, at every level, while tokens and keys fly around: none of them may appear. */
class LogSecrecyIT {

    @Test
    void logsSayWhatHappenedButNeverContainTokensKeysOrMessages() throws Exception {
        LogCapture log = LogCapture.of("io.wspush").level(Level.ALL);
        String good = Tokens.valid("log-user");
        String expired = Tokens.token(TestServer.SECRET, "log-user", Instant.now().minusSeconds(600), Instant.now().minusSeconds(300));
        String forged = Tokens.token("forged-secret-forged-secret-forged-secret", "log-user", Instant.now(), null);
        String message = "secret-message-content-" + System.nanoTime();
        try (TestServer server = TestServer.start()) {
            try (WsClient c = Awaiting.registered(server, "log-user", good, "ev")) {
                Http.push(server, "log-user", null, message);
                c.next();
            }
            for (String bad : new String[] {expired, forged}) {
                try (WsClient c = WsClient.register(server.ws(), bad, null)) {
                    c.awaitClose();
                }
            }
            Http.post(server.http("push"), "wrong-key-" + TestServer.PUSH_KEY, Http.pushBody("log-user", null, message));
            Http.post(server.http("admin/disconnect"), TestServer.PUSH_KEY, "{\"userId\":\"log-user\"}");
        } finally {
            log.close();
        }
        String all = log.records().stream()
                .map(r -> r.getLevel() + " " + r.getMessage() + (r.getThrown() == null ? "" : " " + r.getThrown()))
                .collect(java.util.stream.Collectors.joining("\n"));
        assertTrue(all.contains("register") && all.contains("user=log-user"), all);
        assertTrue(all.contains("1008 token expired") && all.contains("1008 invalid token"), all);
        assertTrue(all.contains("push user=log-user delivered=1"), all);
        for (String secret : new String[] {good, expired, forged, TestServer.SECRET, TestServer.PUSH_KEY, message,
                good.substring(good.lastIndexOf('.') + 1)}) {
            assertFalse(all.contains(secret), "log contains a secret: " + secret);
        }
    }
}
