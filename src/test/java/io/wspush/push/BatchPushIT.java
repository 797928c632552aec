package io.wspush.push;

import io.wspush.testing.Awaiting;
import io.wspush.testing.Http;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.V1;
import io.wspush.testing.WsClient;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Multicast, broadcast and arrays on POST /push, with real clients on one node (memory broker, history on). */
class BatchPushIT {

    static final int MAX_ITEMS = 5;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.builder().set("push.max-items", MAX_ITEMS).start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> post(String body) {
        return Http.post(server.http("push"), TestServer.PUSH_KEY, body);
    }

    static JsonObject ok(String body) {
        HttpResponse<String> r = post(body);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        return V1.json(r.body());
    }

    /** Proves a client got nothing more than it already read: a single push after it must be its next frame. */
    static void nothingMore(WsClient c, String user) throws InterruptedException {
        String marker = "marker-" + System.nanoTime();
        assertEquals(200, Http.push(server, user, null, marker).statusCode());
        assertEquals(marker, c.next());
    }

    @Test
    void multicastReachesEveryListedUsersConnectionsOnceAndAnswersTheSum() throws Exception {
        try (WsClient a1 = Awaiting.registered(server, "m-a", Tokens.valid("m-a"), null);
             WsClient a2 = Awaiting.registered(server, "m-a", Tokens.valid("m-a"), "news");
             WsClient b1 = Awaiting.registered(server, "m-b", Tokens.valid("m-b"), null);
             WsClient c1 = Awaiting.registered(server, "m-c", Tokens.valid("m-c"), null)) {
            // m-a listed twice: still once; m-none holds no connection; m-c is not listed.
            JsonObject r = ok("{\"userIds\":[\"m-a\",\"m-b\",\"m-a\",\"m-none\"],\"event\":\"news\",\"message\":\"hello all\"}");
            assertEquals(3, r.getInt("delivered"), r.toString());
            // Plain (wserver) clients get the bare string, nothing else.
            assertEquals("hello all", a1.next());
            assertEquals("hello all", a2.next());
            assertEquals("hello all", b1.next());
            nothingMore(a1, "m-a");
            nothingMore(b1, "m-b");
            nothingMore(c1, "m-c");
            // History is on: one result per distinct user, in order, each with its own offset.
            JsonArray results = r.getJsonArray("results");
            assertEquals(List.of("m-a", "m-b", "m-none"), results.stream().map(v -> v.asJsonObject().getString("userId")).toList());
            assertEquals(List.of(2, 1, 0), results.stream().map(v -> v.asJsonObject().getInt("delivered")).toList());
        }
    }

    @Test
    void multicastGivesEachUserItsOwnHistoryOffset() throws Exception {
        assertEquals(1, V1.json(Http.push(server, "h-a", null, "one").body()).getInt("offset"));
        assertEquals(2, V1.json(Http.push(server, "h-a", null, "two").body()).getInt("offset"));
        try (WsClient a = V1.connect(server.ws(), Tokens.valid("h-a"), null, null, null);
             WsClient b = V1.connect(server.ws(), Tokens.valid("h-b"), null, null, null)) {
            V1.registered(a);
            V1.registered(b);
            JsonObject r = ok("{\"userIds\":[\"h-a\",\"h-b\"],\"message\":\"three\",\"id\":\"mc-1\"}");
            JsonArray results = r.getJsonArray("results");
            assertEquals(3, results.getJsonObject(0).getInt("offset"), r.toString());
            assertEquals(1, results.getJsonObject(1).getInt("offset"), r.toString());
            V1.Msg ma = V1.next(a);
            V1.Msg mb = V1.next(b);
            assertEquals(new V1.Msg("three", null, 3, ma.epoch()), ma);
            assertEquals(new V1.Msg("three", null, 1, mb.epoch()), mb);
            // A retry with the same id is delivered to nobody and answers the first offsets.
            JsonObject again = ok("{\"userIds\":[\"h-a\",\"h-b\"],\"message\":\"three\",\"id\":\"mc-1\"}");
            assertEquals(0, again.getInt("delivered"), again.toString());
            assertEquals(3, again.getJsonArray("results").getJsonObject(0).getInt("offset"));
            assertEquals(1, again.getJsonArray("results").getJsonObject(1).getInt("offset"));
            assertEquals(4, V1.json(Http.push(server, "h-a", null, "four").body()).getInt("offset"));
            assertEquals("four", V1.next(a).message());
        }
    }

    @Test
    void anArrayIsAnsweredItemByItemAndABadItemDoesNotFailTheOthers() throws Exception {
        try (WsClient a = Awaiting.registered(server, "arr-a", Tokens.valid("arr-a"), null);
             WsClient b = Awaiting.registered(server, "arr-b", Tokens.valid("arr-b"), null)) {
            JsonObject r = ok("[{\"userId\":\"arr-a\",\"message\":\"first\"},"
                    + "{\"userId\":\"\",\"message\":\"x\"},"
                    + "7,"
                    + "{\"userIds\":[\"arr-a\",\"arr-b\"],\"message\":\"second\"}]");
            assertEquals(3, r.getInt("delivered"), r.toString());
            JsonArray results = r.getJsonArray("results");
            assertEquals(4, results.size(), r.toString());
            assertEquals(1, results.getJsonObject(0).getInt("delivered"));
            assertTrue(results.getJsonObject(0).containsKey("offset"), "a single item answers as a single push");
            assertEquals("bad_request", results.getJsonObject(1).getString("error"));
            assertTrue(results.getJsonObject(1).getString("message").contains("userId"), r.toString());
            assertEquals("bad_request", results.getJsonObject(2).getString("error"));
            assertEquals(2, results.getJsonObject(3).getInt("delivered"));
            // In order.
            assertEquals("first", a.next());
            assertEquals("second", a.next());
            assertEquals("second", b.next());
            nothingMore(a, "arr-a");
        }
    }

    @Test
    void aRunOfSinglePushesKeepsOrderOffsetsAndIds() throws Exception {
        try (WsClient a = Awaiting.registered(server, "run-a", Tokens.valid("run-a"), null)) {
            JsonObject r = ok("[{\"userId\":\"run-a\",\"message\":\"1\",\"id\":\"k\"},"
                    + "{\"userId\":\"run-a\",\"message\":\"1 again\",\"id\":\"k\"},"
                    + "{\"userId\":\"run-a\",\"message\":\"2\"}]");
            assertEquals(2, r.getInt("delivered"), r.toString());
            JsonArray results = r.getJsonArray("results");
            assertEquals(List.of(1, 0, 1), results.stream().map(v -> v.asJsonObject().getInt("delivered")).toList());
            assertEquals(List.of(1, 1, 2), results.stream().map(v -> v.asJsonObject().getInt("offset")).toList());
            assertEquals("1", a.next());
            assertEquals("2", a.next());
            nothingMore(a, "run-a");
        }
    }

    @Test
    void overTheItemLimitNothingIsPushedAnd413() throws Exception {
        try (WsClient a = Awaiting.registered(server, "lim-a", Tokens.valid("lim-a"), null)) {
            String users = "\"lim-a\",\"u2\",\"u3\",\"u4\",\"u5\",\"u6\"";
            PushResourceIT.assertError(post("{\"userIds\":[" + users + "],\"message\":\"no\"}"), 413, "max-items");
            String item = "{\"userId\":\"lim-a\",\"message\":\"no\"}";
            PushResourceIT.assertError(post("[" + String.join(",", List.of(item, item, item, item, item, item)) + "]"), 413, "max-items");
            // Users of multicast items count too: 3 + 3 > 5.
            PushResourceIT.assertError(post("[{\"userIds\":[\"lim-a\",\"u2\",\"u3\"],\"message\":\"no\"},"
                    + "{\"userIds\":[\"u4\",\"u5\",\"u6\"],\"message\":\"no\"}]"), 413, "max-items");
            // At the limit it goes through.
            assertEquals(1, ok("{\"userIds\":[\"lim-a\",\"u2\",\"u3\",\"u4\",\"u5\"],\"message\":\"yes\"}").getInt("delivered"));
            assertEquals("yes", a.next());
            nothingMore(a, "lim-a");
        }
    }

    @Test
    void badBodiesAre400WithAJsonError() {
        PushResourceIT.assertError(post("{\"userIds\":[],\"message\":\"m\"}"), 400, "userIds");
        PushResourceIT.assertError(post("{\"userIds\":[\"a\",3],\"message\":\"m\"}"), 400, "userIds");
        PushResourceIT.assertError(post("{\"userIds\":\"a\",\"message\":\"m\"}"), 400, "userIds");
        PushResourceIT.assertError(post("{\"userIds\":[\"a\"],\"userId\":\"b\",\"message\":\"m\"}"), 400, "userId");
        PushResourceIT.assertError(post("{\"userIds\":[\"a\"]}"), 400, "message");
        PushResourceIT.assertError(post("{\"broadcast\":true,\"userId\":\"a\",\"message\":\"m\"}"), 400, "broadcast");
        PushResourceIT.assertError(post("{\"broadcast\":\"yes\",\"message\":\"m\"}"), 400, "broadcast");
        PushResourceIT.assertError(post("[{\"userId\":\"a\",\"message\":\"m\"}"), 400, "malformed");
        PushResourceIT.assertError(post("[] []"), 400, "");
        PushResourceIT.assertError(post("\"userIds\""), 400, "object");
    }

    @Test
    void broadcastReachesEveryMatchingConnectionOfEveryUser() throws Exception {
        try (WsClient news = Awaiting.registered(server, "bc-a", Tokens.valid("bc-a"), "bc-news");
             WsClient any = Awaiting.registered(server, "bc-b", Tokens.valid("bc-b"), null);
             WsClient other = Awaiting.registered(server, "bc-c", Tokens.valid("bc-c"), "bc-other");
             WsClient v1 = V1.connect(server.ws(), Tokens.valid("bc-d"), "bc-news", null, null)) {
            V1.registered(v1);
            JsonObject r = ok("{\"broadcast\":true,\"event\":\"bc-news\",\"message\":\"to all\"}");
            // Other tests' connections on this server may count too; these three at least.
            assertTrue(r.getInt("delivered") >= 3, r.toString());
            assertEquals("to all", news.next());
            assertEquals("to all", any.next());
            V1.Msg m = V1.next(v1);
            assertEquals("to all", m.message());
            assertEquals("bc-news", m.event());
            assertEquals(0, m.offset(), "a broadcast is not kept in history");
            nothingMore(other, "bc-c");
            nothingMore(news, "bc-a");
            // Without an event: every registered connection.
            ok("{\"broadcast\":true,\"message\":\"everyone\"}");
            assertEquals("everyone", other.next());
            assertEquals("everyone", news.next());
            assertEquals("everyone", V1.next(v1).message());
            // A user's history is untouched by broadcasts.
            assertEquals(1, V1.json(Http.push(server, "bc-d", null, "own").body()).getInt("offset"));
        }
    }

    @Test
    void aSinglePushThatMentionsTheNewMembersInItsTextIsStillASinglePush() throws Exception {
        try (WsClient a = Awaiting.registered(server, "txt-a", Tokens.valid("txt-a"), null)) {
            JsonObject r = ok("{\"userId\":\"txt-a\",\"message\":\"\\\"userIds\\\" and \\\"broadcast\\\"\"}");
            assertEquals(1, r.getInt("delivered"));
            assertTrue(r.containsKey("offset"));
            assertFalse(r.containsKey("results"));
            assertEquals("\"userIds\" and \"broadcast\"", a.next());
        }
    }

    @Test
    void anEmptyArrayPushesNothing() {
        JsonObject r = ok("[]");
        assertEquals(0, r.getInt("delivered"));
        assertTrue(r.getJsonArray("results").isEmpty());
        assertNull(r.get("offset"));
    }
}
