package io.wspush.containers;

import io.wspush.testing.Handshake;
import io.wspush.testing.Http;
import io.wspush.testing.RawHttp;
import io.wspush.testing.Poll;
import io.wspush.testing.Tokens;
import io.wspush.testing.WsClient;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same end-to-end scenario on each real container, started from the built WAR (Jetty and Tomcat: the fat
 * WAR; Payara Micro: the thin one) on a free loopback port. Settings go in the way that container's operators
 * pass them: system properties for Jetty and Payara, environment variables for Tomcat.
 */
class ContainersIT {

    static final String SECRET = "containers-secret-0123456789-abcdefghijkl";
    static final String KEY = "containers-push-key-0123456789";
    static final int MAX_BYTES = 300;

    @ParameterizedTest
    @EnumSource(ContainerKind.class)
    void pushServiceWorksEndToEnd(ContainerKind kind) throws Exception {
        RunningContainer c = kind.start(kind.options()
                .setting("token.secret", SECRET)
                .setting("push.key", KEY)
                .setting("push.max-bytes", String.valueOf(MAX_BYTES))
                .readyPath("/health"));
        List<WsClient> clients = new ArrayList<>();
        try {
            String why = " (" + kind + " log: " + c.logFile() + ")";
            assertEquals(200, Http.get(c.uri("/health"), null).statusCode(), why);
            HttpResponse<String> page = Http.get(c.uri("/"), null);
            assertEquals(200, page.statusCode(), "static page beside /push" + why);
            assertTrue(page.body().contains("wspush"), why);

            // Two users, several connections each, wserver clients and v1 clients mixed.
            String alice = Tokens.token(SECRET, "alice", Instant.now(), Instant.now().plusSeconds(600));
            String bob = Tokens.token(SECRET, "bob", Instant.now(), Instant.now().plusSeconds(600));
            List<WsClient> aliceConns = new ArrayList<>(), bobConns = new ArrayList<>();
            for (int i = 0; i < 3; i++) aliceConns.add(WsClient.register(c.wsUri("/ws"), alice, i == 2 ? "news" : null));
            for (int i = 0; i < 2; i++) bobConns.add(WsClient.register(c.wsUri("/ws"), bob, null));
            WsClient aliceV1 = WsClient.connect(c.wsUri("/ws"), "wspush.v1");
            aliceV1.send(WsClient.registration(alice, null));
            assertEquals("registered", Http.stringField(aliceV1.next(), "type"), why);
            clients.addAll(aliceConns);
            clients.addAll(bobConns);
            clients.add(aliceV1);
            Poll.untilEquals("alice's connections" + why, Duration.ofSeconds(20), 4, () -> userConnections(c, "alice"));
            Poll.untilEquals("bob's connections" + why, Duration.ofSeconds(20), 2, () -> userConnections(c, "bob"));

            assertEquals(4, delivered(push(c, KEY, "alice", null, "for alice")), why);
            assertEquals(2, delivered(push(c, KEY, "bob", null, "for bob")), why);
            assertEquals(3, delivered(push(c, KEY, "alice", "sports", "sports for alice")), "event filter" + why);
            for (int i = 0; i < 3; i++) {
                assertEquals("for alice", aliceConns.get(i).next(), why);
                if (i != 2) assertEquals("sports for alice", aliceConns.get(i).next(), why);
            }
            assertEquals("for alice", Http.stringField(aliceV1.next(), "message"), why);
            assertEquals("sports for alice", Http.stringField(aliceV1.next(), "message"), why);
            for (WsClient b : bobConns) assertEquals("for bob", b.next(), why);
            for (WsClient x : clients) assertNull(x.next(Duration.ofMillis(100)), "nothing else arrives" + why);

            // A multicast through the container's own JAX-RS and JSON-P (Payara brings its own): each user once.
            HttpResponse<String> multi = Http.post(c.uri("/push"), KEY,
                    "{\"userIds\":[\"alice\",\"bob\",\"alice\"],\"message\":\"for both\"}");
            assertEquals(200, multi.statusCode(), multi.body() + why);
            assertEquals(6, delivered(multi), multi.body() + why);
            for (WsClient x : aliceConns) assertEquals("for both", x.next(), why);
            for (WsClient x : bobConns) assertEquals("for both", x.next(), why);
            assertEquals("for both", Http.stringField(aliceV1.next(), "message"), why);
            for (WsClient x : clients) assertNull(x.next(Duration.ofMillis(100)), "nothing else arrives" + why);

            // Presence through the container's JAX-RS (issue 14): plain and v1 connections alike.
            HttpResponse<String> presence = Http.post(c.uri("/presence"), KEY, "{\"userIds\":[\"alice\",\"bob\",\"carol\"]}");
            assertEquals(200, presence.statusCode(), presence.body() + why);
            assertEquals("{\"users\":[{\"userId\":\"alice\",\"online\":true,\"connections\":4},"
                    + "{\"userId\":\"bob\",\"online\":true,\"connections\":2},"
                    + "{\"userId\":\"carol\",\"online\":false,\"connections\":0}]}", presence.body(), why);
            assertEquals(4, Http.intField(Http.get(c.uri("/presence/alice"), KEY), "connections"), why);

            // A push waiting for receipts, answered asynchronously through the container's own JAX-RS: the v1 client
            // acknowledges; the plain ones are delivered but cannot.
            var receipts = Http.CLIENT.sendAsync(java.net.http.HttpRequest.newBuilder(c.uri("/push"))
                    .header("Authorization", "Bearer " + KEY).timeout(Duration.ofSeconds(30))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                            "{\"userId\":\"alice\",\"message\":\"ack me\",\"receipts\":{\"wait\":10}}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            for (WsClient x : aliceConns) assertEquals("ack me", x.next(), why);
            jakarta.json.JsonObject envelope = jakarta.json.Json.createReader(new java.io.StringReader(aliceV1.next())).readObject();
            assertEquals("ack me", envelope.getString("message"), why);
            aliceV1.send("{\"type\":\"ack\",\"offset\":" + envelope.getJsonNumber("offset").longValueExact() + "}");
            HttpResponse<String> receipted = receipts.get(20, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(200, receipted.statusCode(), receipted.body() + why);
            assertTrue(receipted.body().startsWith("{\"delivered\":4,\"acknowledged\":1,\"plain\":3,"), receipted.body() + why);
            assertTrue(receipted.body().endsWith("\"complete\":true}"), receipted.body() + why);

            // A browser's offer of permessage-deflate is refused by default, whatever the container would install.
            String head = Handshake.head(c.wsUri("/ws"),
                    Map.of("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"));
            assertTrue(head.startsWith("HTTP/1.1 101"), head + why);
            assertFalse(head.toLowerCase(java.util.Locale.ROOT).contains("deflate"), head + why);

            // A bad token is closed with 1008; an unauthorised push is refused with 401.
            String forged = Tokens.token("some-other-secret-0123456789-abcdefghijkl", "alice", Instant.now(), null);
            try (WsClient bad = WsClient.register(c.wsUri("/ws"), forged, null)) {
                assertEquals(new WsClient.Close(1008, "invalid token"), bad.awaitClose(), why);
            }
            assertEquals(401, push(c, "wrong-key-0123456789", "alice", null, "nope").statusCode(), why);
            assertEquals(401, push(c, null, "alice", null, "nope").statusCode(), why);

            // The setting passed the container's way took effect.
            HttpResponse<String> tooBig = push(c, KEY, "alice", null, "x".repeat(MAX_BYTES));
            assertEquals(413, tooBig.statusCode(), tooBig.body() + why);
            assertTrue(Http.stringField(tooBig.body(), "message").contains(String.valueOf(MAX_BYTES)), why);
            assertEquals(405, Http.get(c.uri("/push"), KEY).statusCode(), why);
            // An error answered before the body arrived tells the client not to reuse the connection (Jetty closes it;
            // Tomcat and Payara wait for the body to swallow it): UnreadBodyCloseIT.
            RawHttp.Answer early = RawHttp.headOnly(c.uri("/push"), "POST", "wrong-key-0123456789", 2, false);
            assertEquals(401, early.status(), early.head() + why);
            assertTrue(early.says("Connection", "close"), early.head() + why);
            // The app's own /metrics, not the container's (Payara serves MicroProfile Metrics there by default).
            assertTrue(Http.get(c.uri("/metrics"), KEY).body().contains("wspush_pushes_total"), why);
        } finally {
            c.close();
        }
        // Stopping the container is a graceful shutdown: every client is told 1001.
        for (WsClient x : clients) assertEquals(1001, x.awaitClose(Duration.ofSeconds(20)).code(), kind + " shutdown close");
    }

    static HttpResponse<String> push(RunningContainer c, String key, String user, String event, String message) {
        return Http.post(c.uri("/push"), key, Http.pushBody(user, event, message));
    }

    static int delivered(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        return Http.intField(r, "delivered");
    }

    static int userConnections(RunningContainer c, String user) {
        return Http.intField(Http.get(c.uri("/admin/users/" + user), KEY), "connections");
    }
}
