package io.wspush.endpoint;

import io.wspush.testing.Awaiting;
import io.wspush.testing.Http;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The /ws contract exactly as wserver's browsers use it, plus every way a registration can be refused. */
class RegistrationIT {

    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.builder().set("register.timeout", "1").start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Registers and waits until the server counts the connection, so a push cannot overtake the registration. */
    static WsClient registered(String user, String event) {
        return Awaiting.registered(server, user, Tokens.valid(user), event);
    }

    @Test
    void wserverClientReceivesExactlyThePushedMessageAndNothingElse() throws Exception {
        try (WsClient c = registered("plain-user", null)) {
            assertEquals("", c.subprotocol());
            var r = Http.push(server, "plain-user", null, "Hello \"World\" \u00e9\u4e16");
            assertEquals(200, r.statusCode());
            assertEquals(1, Http.intField(r, "delivered"));
            assertEquals("Hello \"World\" \u00e9\u4e16", c.next());
            assertNull(c.next(Duration.ofMillis(300)), "no ack, envelope or other frame");
        }
    }

    @Test
    void eventFilteringFollowsTheWserverRules() throws Exception {
        try (WsClient news = registered("ev-user", "news");
             WsClient any = registered("ev-user", null);
             WsClient sport = registered("ev-user", "sport")) {
            assertEquals(2, Http.intField(Http.push(server, "ev-user", "news", "n1"), "delivered"));
            assertEquals(3, Http.intField(Http.push(server, "ev-user", null, "all1"), "delivered"));
            assertEquals(1, Http.intField(Http.push(server, "ev-user", "other", "o1"), "delivered"));
            assertEquals("n1", news.next());
            assertEquals("all1", news.next());
            assertEquals("n1", any.next());
            assertEquals("all1", any.next());
            assertEquals("o1", any.next());
            assertEquals("all1", sport.next());
            assertNull(news.next(Duration.ofMillis(200)));
            assertNull(sport.next(Duration.ofMillis(50)));
        }
    }

    @Test
    void pushToUnknownUserDeliversToNobody() {
        assertEquals(0, Http.intField(Http.push(server, "nobody-here", null, "x"), "delivered"));
    }

    @Test
    void oneUserManyTokensAndConnectionsAllReceive() throws Exception {
        try (WsClient a = registered("multi", null); WsClient b = registered("multi", null)) {
            assertEquals(2, Http.intField(Http.push(server, "multi", null, "m"), "delivered"));
            assertEquals("m", a.next());
            assertEquals("m", b.next());
        }
    }

    @Test
    void expiredTokenIsClosedWith1008() {
        String expired = Tokens.token(TestServer.SECRET, "u", Instant.now().minusSeconds(7200), Instant.now().minusSeconds(3600));
        try (WsClient c = WsClient.register(server.ws(), expired, null)) {
            assertEquals(new WsClient.Close(1008, "token expired"), c.awaitClose());
        }
    }

    @Test
    void tokenSignedWithAnotherSecretIsClosedWith1008() {
        String forged = Tokens.token("another-secret-another-secret-another-secret", "u", Instant.now(), Instant.now().plusSeconds(60));
        try (WsClient c = WsClient.register(server.ws(), forged, null)) {
            assertEquals(new WsClient.Close(1008, "invalid token"), c.awaitClose());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"not-a-jwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.", "a.b.c", ""})
    void malformedOrUnsignedTokenIsClosedWith1008(String token) {
        try (WsClient c = WsClient.register(server.ws(), token, null)) {
            WsClient.Close close = c.awaitClose();
            assertEquals(1008, close.code());
            assertTrue(close.reason().equals("invalid token") || close.reason().equals("registration expected"), close.reason());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"hello", "{}", "[1,2]", "{\"token\":5}", "{\"event\":\"x\"}", "null", "{\"token\":\"a\"", "\"str\""})
    void firstFrameThatIsNotARegistrationIsClosedWith1008(String frame) {
        try (WsClient c = WsClient.connect(server.ws())) {
            c.send(frame);
            assertEquals(new WsClient.Close(1008, "registration expected"), c.awaitClose());
        }
    }

    @Test
    void tokenWithoutSubjectIsRefused() {
        String noSub = Tokens.token(TestServer.SECRET, null, Instant.now(), Instant.now().plusSeconds(60));
        try (WsClient c = WsClient.register(server.ws(), noSub, null)) {
            assertEquals(new WsClient.Close(1008, "invalid token"), c.awaitClose());
        }
    }

    @Test
    void connectionThatNeverRegistersIsClosedAfterTheTimeout() {
        try (WsClient c = WsClient.connect(server.ws())) {
            assertEquals(new WsClient.Close(4008, "registration timeout"), c.awaitClose(Duration.ofSeconds(5)));
        }
    }

    @Test
    void binaryFrameIsClosedWith1003() {
        try (WsClient c = registered("bin-user", null)) {
            c.sendBinary(new byte[] {1, 2, 3});
            assertEquals(1003, c.awaitClose().code());
        }
    }

    @Test
    void oversizedFrameIsClosedWith1009() {
        try (WsClient c = WsClient.connect(server.ws())) {
            // One byte over the default 8,192-byte limit, so the server has read the whole frame when it refuses
            // it. With a bigger frame it closes with input still unread, the kernel answers with a reset, and the
            // reset can overtake the close frame (the client then sees 1006). HostileInputIT covers huge frames.
            String frame = "{\"token\":\"" + "x".repeat(8_192 - 11) + "\"}";
            assertEquals(8_193, frame.length());
            c.send(frame);
            assertEquals(1009, c.awaitClose().code());
        }
    }

    @Test
    void v1ClientsGetEnvelopes() throws Exception {
        try (WsClient c = WsClient.connect(server.ws(), "wspush.v1")) {
            assertEquals("wspush.v1", c.subprotocol());
            c.send(WsClient.registration(Tokens.valid("v1-user"), "alerts"));
            String registered = c.next();
            assertEquals("registered", Http.stringField(registered, "type"));
            assertEquals("v1-user", Http.stringField(registered, "userId"));
            assertEquals("alerts", Http.stringField(registered, "event"));
            long before = System.currentTimeMillis();
            assertEquals(1, Http.intField(Http.push(server, "v1-user", "alerts", "fire \"drill\""), "delivered"));
            String msg = c.next();
            assertEquals("message", Http.stringField(msg, "type"));
            assertEquals("fire \"drill\"", Http.stringField(msg, "message"));
            assertEquals("alerts", Http.stringField(msg, "event"));
            try (var r = jakarta.json.Json.createReader(new java.io.StringReader(msg))) {
                long ts = r.readObject().getJsonNumber("ts").longValue();
                assertTrue(ts >= before - 1000 && ts <= System.currentTimeMillis() + 1000, "ts " + ts);
            }
            c.send("{\"type\":\"ping\"}");
            assertEquals("{\"type\":\"pong\"}", c.next());
        }
    }
}
