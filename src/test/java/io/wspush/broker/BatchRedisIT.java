package io.wspush.broker;

import io.wspush.testing.Closing;
import io.wspush.testing.Awaiting;
import io.wspush.testing.Http;
import io.wspush.testing.RedisProcess;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.V1;
import io.wspush.testing.WsClient;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Broadcast and multicast across two nodes over a real redis-server (history on). */
class BatchRedisIT {

    static RedisProcess redis;
    static TestServer a;
    static TestServer b;

    @BeforeAll
    static void start() {
        redis = RedisProcess.start();
        a = RedisBrokerIT.node(redis);
        b = RedisBrokerIT.node(redis);
    }

    @AfterAll
    static void stop() {
        Closing.closeAll(a, b);
        if (redis != null) redis.close();
    }

    static JsonObject ok(TestServer s, String body) {
        HttpResponse<String> r = Http.post(s.http("push"), TestServer.PUSH_KEY, body);
        assertEquals(200, r.statusCode(), r.body());
        return V1.json(r.body());
    }

    /** A single push after the frames read must be the client's next frame: nothing else came. */
    static void nothingMore(TestServer s, WsClient c, String user) throws InterruptedException {
        String marker = "marker-" + System.nanoTime();
        assertEquals(200, Http.push(s, user, null, marker).statusCode());
        assertEquals(marker, c.next());
    }

    @Test
    void broadcastReachesEveryConnectionOfTheEventOnBothNodesOnce() throws Exception {
        try (WsClient a1 = Awaiting.registered(a, "rb-1", Tokens.valid("rb-1"), "alerts");
             WsClient a2 = Awaiting.registered(a, "rb-2", Tokens.valid("rb-2"), null);
             WsClient a3 = Awaiting.registered(a, "rb-3", Tokens.valid("rb-3"), "other");
             WsClient b1 = Awaiting.registered(b, "rb-4", Tokens.valid("rb-4"), "alerts");
             WsClient b2 = V1.connect(b.ws(), Tokens.valid("rb-5"), "alerts", null, null)) {
            V1.registered(b2);
            JsonObject r = ok(a, "{\"broadcast\":true,\"event\":\"alerts\",\"message\":\"fire\"}");
            // a's two matching connections, plus one other node reached.
            assertEquals(3, r.getInt("delivered"), r.toString());
            assertEquals("fire", a1.next());
            assertEquals("fire", a2.next());
            assertEquals("fire", b1.next());
            V1.Msg m = V1.next(b2);
            assertEquals("fire", m.message());
            assertEquals(0, m.offset(), "not in history");
            nothingMore(a, a1, "rb-1");
            nothingMore(a, a2, "rb-2");
            nothingMore(a, a3, "rb-3");
            nothingMore(b, b1, "rb-4");
            // From the other node, without an event: every connection.
            ok(b, "{\"broadcast\":true,\"message\":\"all\"}");
            for (WsClient c : new WsClient[]{a1, a2, a3, b1}) assertEquals("all", c.next());
            assertEquals("all", V1.next(b2).message());
        }
    }

    @Test
    void multicastAcrossNodesGivesEachUserItsOffset() throws Exception {
        assertEquals(1, V1.json(Http.push(a, "rm-x", null, "before").body()).getInt("offset"));
        try (WsClient x = V1.connect(a.ws(), Tokens.valid("rm-x"), null, null, null);
             WsClient y = V1.connect(b.ws(), Tokens.valid("rm-y"), null, null, null);
             WsClient yPlain = Awaiting.registered(b, "rm-y", Tokens.valid("rm-y"), null)) {
            V1.registered(x);
            V1.registered(y);
            JsonObject r = ok(a, "{\"userIds\":[\"rm-x\",\"rm-y\"],\"message\":\"both\"}");
            // x: its connection here; y: the other node reached.
            assertEquals(2, r.getInt("delivered"), r.toString());
            assertEquals(2, r.getJsonArray("results").getJsonObject(0).getInt("offset"), r.toString());
            assertEquals(1, r.getJsonArray("results").getJsonObject(1).getInt("offset"), r.toString());
            V1.Msg mx = V1.next(x);
            V1.Msg my = V1.next(y);
            assertEquals(2, mx.offset());
            assertEquals("both", mx.message());
            assertEquals(1, my.offset());
            assertEquals("both", my.message());
            assertEquals("both", yPlain.next());
            nothingMore(b, yPlain, "rm-y");
        }
    }

    @Test
    void anArrayOfSinglePushesAcrossNodesKeepsOrderOffsetsAndIds() throws Exception {
        try (WsClient x = Awaiting.registered(a, "ra-x", Tokens.valid("ra-x"), null);
             WsClient y = Awaiting.registered(b, "ra-y", Tokens.valid("ra-y"), null)) {
            JsonObject r = ok(a, "[{\"userId\":\"ra-x\",\"message\":\"x1\",\"id\":\"k\"},"
                    + "{\"userId\":\"ra-y\",\"message\":\"y1\"},"
                    + "{\"userId\":\"ra-x\",\"message\":\"x1 again\",\"id\":\"k\"},"
                    + "{\"userId\":\"ra-x\",\"message\":\"x2\"}]");
            assertEquals(3, r.getInt("delivered"), r.toString());
            var results = r.getJsonArray("results");
            assertEquals(java.util.List.of(1, 1, 0, 1), results.stream().map(v -> v.asJsonObject().getInt("delivered")).toList());
            assertEquals(java.util.List.of(1, 1, 1, 2), results.stream().map(v -> v.asJsonObject().getInt("offset")).toList());
            assertEquals("x1", x.next());
            assertEquals("x2", x.next());
            assertEquals("y1", y.next());
            nothingMore(a, x, "ra-x");
            nothingMore(b, y, "ra-y");
        }
    }

    /** Many users at once (their publishes pipelined): each listed user's connections, on either node, get it once. */
    static void multicastOfManyUsers(TestServer from, TestServer other, String prefix, boolean history) throws Exception {
        int users = 40;
        WsClient[] clients = new WsClient[users];
        StringBuilder ids = new StringBuilder();
        try {
            for (int i = 0; i < users; i++) {
                String u = prefix + i;
                // Even users here, odd ones on the other node.
                clients[i] = Awaiting.registered(i % 2 == 0 ? from : other, u, Tokens.valid(u), null);
                ids.append(i == 0 ? "" : ",").append('"').append(u).append('"');
            }
            JsonObject r = ok(from, "{\"userIds\":[" + ids + ",\"" + prefix + "nobody\"],\"message\":\"many\"}");
            // 20 local connections + 20 users whose other node was reached.
            assertEquals(users, r.getInt("delivered"), r.toString());
            assertEquals(history, r.containsKey("results"), r.toString());
            for (int i = 0; i < users; i++) assertEquals("many", clients[i].next(), prefix + i);
            for (int i = 0; i < users; i += 7) nothingMore(i % 2 == 0 ? from : other, clients[i], prefix + i);
        } finally {
            Closing.closeAll(clients);
        }
    }

    @Test
    void multicastOfManyUsersWithHistory() throws Exception {
        multicastOfManyUsers(a, b, "rmh-", true);
    }

    @Test
    void multicastOfManyUsersWithoutHistory() throws Exception {
        TestServer c = null, d = null;
        try {
            c = TestServer.builder().set("broker", "redis").set("redis.uri", redis.uri()).set("redis.publish-budget", "0.5")
                    .set("history.size", 0).start();
            d = TestServer.builder().set("broker", "redis").set("redis.uri", redis.uri()).set("redis.publish-budget", "0.5")
                    .set("history.size", 0).start();
            multicastOfManyUsers(c, d, "rmn-", false);
        } finally {
            Closing.closeAll(c, d);
        }
    }
}
