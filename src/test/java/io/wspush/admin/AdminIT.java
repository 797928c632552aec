package io.wspush.admin;

import io.wspush.testing.Awaiting;
import io.wspush.testing.Http;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The operator's endpoints: disconnect a user (wserver's Drop), health, metrics, a separate admin key. */
class AdminIT {

    static final String ADMIN_KEY = "admin-key-0123456789abcdef";
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.builder().set("admin.key", ADMIN_KEY).start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void disconnectClosesEveryConnectionOfTheUserAndRevokesItsTokens() throws Exception {
        String token = Tokens.valid("leaver");
        WsClient a = Awaiting.registered(server, "leaver", token, null);
        WsClient b = Awaiting.registered(server, "leaver", token, "news");
        WsClient other = Awaiting.registered(server, "stayer", Tokens.valid("stayer"), null);
        var r = Http.post(server.http("admin/disconnect"), ADMIN_KEY, "{\"userId\":\"leaver\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(2, Http.intField(r, "disconnected"));
        assertEquals(new WsClient.Close(4002, "disconnected by operator"), a.awaitClose());
        assertEquals(new WsClient.Close(4002, "disconnected by operator"), b.awaitClose());
        Awaiting.userConnections(server, "leaver", 0);

        // The old token cannot come straight back...
        try (WsClient again = WsClient.register(server.ws(), token, null)) {
            assertEquals(new WsClient.Close(1008, "token revoked"), again.awaitClose());
        }
        // ...a token issued after the disconnect can.
        String fresh = Tokens.token(TestServer.SECRET, "leaver", Instant.now().plusSeconds(2), Instant.now().plusSeconds(3600));
        try (WsClient back = Awaiting.registered(server, "leaver", fresh, null)) {
            assertEquals(1, Http.intField(Http.push(server, "leaver", null, "welcome back"), "delivered"));
            assertEquals("welcome back", back.next());
        }
        // Other users are untouched.
        assertEquals(1, Http.intField(Http.push(server, "stayer", null, "still"), "delivered"));
        assertEquals("still", other.next());
        other.close();
    }

    @Test
    void adminKeyIsSeparateFromThePushKey() {
        assertEquals(401, Http.post(server.http("admin/disconnect"), TestServer.PUSH_KEY, "{\"userId\":\"x\"}").statusCode());
        assertEquals(200, Http.post(server.http("admin/disconnect"), ADMIN_KEY, "{\"userId\":\"x\"}").statusCode());
        // Metrics follow the admin key unless wspush.metrics.key says otherwise.
        assertEquals(401, Http.get(server.http("metrics"), TestServer.PUSH_KEY).statusCode());
        assertEquals(200, Http.get(server.http("metrics"), ADMIN_KEY).statusCode());
    }

    @Test
    void disconnectValidatesItsBody() {
        assertEquals(400, Http.post(server.http("admin/disconnect"), ADMIN_KEY, "{}").statusCode());
        assertEquals(400, Http.post(server.http("admin/disconnect"), ADMIN_KEY, "nope").statusCode());
        assertEquals(400, Http.post(server.http("admin/disconnect"), ADMIN_KEY, "{\"userId\":1}").statusCode());
    }

    @Test
    void healthReportsReadyWithCounts() {
        var r = Http.get(server.http("health"), null);
        assertEquals(200, r.statusCode());
        assertEquals("ready", Http.stringField(r.body(), "status"));
        assertEquals(0, Http.intField(r, "users"), r.body());
        assertNull(Http.stringField(r.body(), "broker"), "details only with a key: " + r.body());
        assertEquals("memory", Http.stringField(Http.get(server.http("health"), ADMIN_KEY).body(), "broker"));
    }

    @Test
    void metricsCountPushesAndConnections() throws Exception {
        try (WsClient c = Awaiting.registered(server, "metered", Tokens.valid("metered"), null)) {
            Http.push(server, "metered", null, "one");
            assertEquals("one", c.next());
            String m = Http.get(server.http("metrics"), ADMIN_KEY).body();
            for (String name : new String[] {"wspush_connections ", "wspush_users ", "wspush_pushes_total ",
                    "wspush_delivered_total ", "wspush_sent_total ", "wspush_dropped_total ",
                    "wspush_slow_consumer_closes_total ", "wspush_send_latency_seconds", "wspush_broker_up 1.0"}) {
                assertTrue(m.contains(name), name + " missing from\n" + m);
            }
        }
    }
}
