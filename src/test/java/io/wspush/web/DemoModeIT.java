package io.wspush.web;

import io.wspush.testing.Handshake;
import io.wspush.testing.Http;
import io.wspush.testing.TcpRelay;
import io.wspush.testing.TestServer;
import io.wspush.testing.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Demo mode ({@code wspush.demo=true}, as {@code mvn jetty:run} sets it): works for this machine, refuses everyone
 * else on every path including the WebSocket handshake, and cannot be half-configured.
 */
class DemoModeIT {

    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.builder().demo().start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void demoTokenAndDemoKeyWorkEndToEnd() throws Exception {
        var t = Http.get(server.http("demo/token?userId=alice"), null);
        assertEquals(200, t.statusCode(), t.body());
        assertEquals("demo", Http.stringField(t.body(), "pushKey"));
        String token = Http.stringField(t.body(), "token");
        try (WsClient c = WsClient.register(server.ws(), token, null)) {
            io.wspush.testing.Poll.until("registered", java.time.Duration.ofSeconds(10), () ->
                    Http.intField(Http.get(server.http("admin/users/alice"), "demo"), "connections") == 1);
            var r = Http.post(server.http("push"), "demo", Http.pushBody("alice", null, "hello demo"));
            assertEquals(1, Http.intField(r, "delivered"));
            assertEquals("hello demo", c.next());
        }
    }

    @Test
    void demoTokenNeedsAUserId() {
        assertEquals(400, Http.get(server.http("demo/token"), null).statusCode());
    }

    @Test
    void requestsThatCameThroughAProxyAreRefused() {
        var r = Http.send(HttpRequest.newBuilder(server.http("push")).header("Authorization", "Bearer demo")
                .header("X-Forwarded-For", "203.0.113.9")
                .POST(HttpRequest.BodyPublishers.ofString(Http.pushBody("alice", null, "x"))).build());
        assertEquals(403, r.statusCode());
        assertTrue(Http.stringField(r.body(), "message").contains("demo mode"), r.body());
        var forwarded = Http.send(HttpRequest.newBuilder(server.http("demo/token?userId=a"))
                .header("Forwarded", "for=203.0.113.9").GET().build());
        assertEquals(403, forwarded.statusCode());
    }

    @Test
    void handshakesThatCameThroughAProxyAreRefused() throws Exception {
        // Before: Jetty's upgrade filter ran ahead of the web.xml guard, answered 101, and the client got pushes.
        assertEquals(403, Handshake.status(server.ws(), Map.of("X-Forwarded-For", "203.0.113.9")));
        assertEquals(403, Handshake.status(server.ws(), Map.of("Forwarded", "for=203.0.113.9")));
        assertEquals(101, Handshake.status(server.ws(), Map.of()), "a loopback client without proxy headers");
    }

    @Test
    void aRelayOnThisHostThatAddsNoHeaderLooksLocal() throws Exception {
        // The limit of the guard, and why demo mode must be asked for: stunnel, an SSH tunnel, a plain proxy_pass on
        // this host hand every client's handshake over as a loopback one, and nothing in it says otherwise.
        try (TcpRelay relay = TcpRelay.start(server.ws())) {
            assertEquals(101, Handshake.status(relay.via(server.ws()), Map.of()));
            assertEquals(403, Handshake.status(relay.via(server.ws()), Map.of("X-Forwarded-For", "203.0.113.9")));
        }
    }

    @Test
    void thePageIsGuardedToo() {
        var page = Http.send(HttpRequest.newBuilder(server.http("")).header("X-Forwarded-For", "203.0.113.9").GET().build());
        assertEquals(403, page.statusCode());
        assertEquals(200, Http.get(server.http(""), null).statusCode());
    }

    @Test
    void settingOnlyOneOfSecretAndKeyRefusesToStart() {
        assertThrows(IllegalStateException.class,
                () -> TestServer.builder().set("push.key", null).start().close());
        assertThrows(IllegalStateException.class,
                () -> TestServer.builder().set("token.secret", null).start().close());
    }

    @Test
    void tooShortSecretRefusesToStart() {
        assertThrows(IllegalStateException.class,
                () -> TestServer.builder().set("token.secret", "short").start().close());
    }

}
