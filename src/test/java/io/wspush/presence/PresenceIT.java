package io.wspush.presence;

import io.wspush.testing.Http;
import io.wspush.testing.Poll;
import io.wspush.testing.RawWebSocket;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.V1;
import io.wspush.testing.WsClient;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Presence on one node (memory broker): what counts, the batch call, its limits and its key. */
class PresenceIT {

    static final String PRESENCE_KEY = "presence-key-0123456789";

    /** GET /presence/{user} as {connections, online}; fails on anything but 200. */
    static JsonObject presence(TestServer s, String key, String user) {
        HttpResponse<String> r = Http.get(s.http("presence/" + URLEncoder.encode(user, StandardCharsets.UTF_8)), key);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        return json(r.body());
    }

    static int connections(TestServer s, String key, String user) {
        JsonObject o = presence(s, key, user);
        assertEquals(user, o.getString("userId"));
        int n = o.getInt("connections");
        assertEquals(n > 0, o.getBoolean("online"), o.toString());
        return n;
    }

    static JsonObject json(String body) {
        try (var r = Json.createReader(new StringReader(body))) {
            return r.readObject();
        }
    }

    static String body(List<String> users) {
        JsonArrayBuilder a = Json.createArrayBuilder();
        users.forEach(a::add);
        return Json.createObjectBuilder().add("userIds", a).build().toString();
    }

    @Test
    void countsRegisteredConnectionsOnlyThroughRegisterAndAbruptDrops() throws Exception {
        // Short heartbeat: a peer that vanishes silently is found dead within idle.timeout.
        try (TestServer server = TestServer.builder().set("presence.key", PRESENCE_KEY)
                .set("ping.interval", 0.3).set("idle.timeout", 1).start()) {
            String user = "alice";
            assertEquals(0, connections(server, PRESENCE_KEY, user));
            assertFalse(presence(server, PRESENCE_KEY, user).getBoolean("online"));

            // Open but not registered: not online.
            try (RawWebSocket unregistered = RawWebSocket.connect(server.ws(), 0)) {
                Poll.untilEquals("open connections", Duration.ofSeconds(10), 1,
                        () -> Http.intField(Http.get(server.http("health"), null), "connections"));
                assertEquals(0, connections(server, PRESENCE_KEY, user));

                // Plain (wserver) and v1 connections count alike.
                WsClient plain = WsClient.register(server.ws(), Tokens.valid(user), null);
                Poll.untilEquals("1 connection", Duration.ofSeconds(10), 1, () -> connections(server, PRESENCE_KEY, user));
                WsClient v1 = V1.connect(server.ws(), Tokens.valid(user), null, null, null);
                V1.registered(v1);
                assertEquals(2, connections(server, PRESENCE_KEY, user), "counted once registered");
                // Killed: a TCP reset, no close frame.
                RawWebSocket killed = RawWebSocket.connect(server.ws(), 0);
                killed.sendText(WsClient.registration(Tokens.valid(user), null));
                Poll.untilEquals("3 connections", Duration.ofSeconds(10), 3, () -> connections(server, PRESENCE_KEY, user));
                killed.socket().setSoLinger(true, 0);
                killed.close();
                Poll.untilEquals("2 after the reset", Duration.ofSeconds(5), 2, () -> connections(server, PRESENCE_KEY, user));

                // Silent: the peer stays but never answers a ping; gone within idle.timeout plus a sweep.
                try (RawWebSocket silent = RawWebSocket.connect(server.ws(), 0)) {
                    silent.sendText(WsClient.registration(Tokens.valid(user), null));
                    Poll.untilEquals("3 connections again", Duration.ofSeconds(10), 3, () -> connections(server, PRESENCE_KEY, user));
                    long t0 = System.nanoTime();
                    Poll.untilEquals("2 after the dead peer", Duration.ofSeconds(10), 2, () -> connections(server, PRESENCE_KEY, user));
                    long ms = Duration.ofNanos(System.nanoTime() - t0).toMillis();
                    // idle.timeout (1 s) plus sweeps and polls on a busy machine; the default would be 60 s.
                    assertTrue(ms < 4000, "dead peer counted for " + ms + " ms");
                }

                plain.close();
                v1.close();
                Poll.untilEquals("0 after the closes", Duration.ofSeconds(5), 0, () -> connections(server, PRESENCE_KEY, user));
            }
        }
    }

    @Test
    void postAnswersAThousandUsersInRequestOrderAndRefusesMore() throws Exception {
        try (TestServer server = TestServer.builder().set("limit.connections-per-user", 5).start()) {
            List<WsClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) clients.add(WsClient.register(server.ws(), Tokens.valid("u7"), null));
                clients.add(WsClient.register(server.ws(), Tokens.valid("u999"), null));
                Poll.untilEquals("u7 twice", Duration.ofSeconds(10), 2, () -> connections(server, server.pushKey(), "u7"));
                Poll.untilEquals("u999 once", Duration.ofSeconds(10), 1, () -> connections(server, server.pushKey(), "u999"));

                List<String> users = new ArrayList<>();
                for (int i = 999; i >= 0; i--) users.add("u" + i); // not sorted: the answer keeps this order
                HttpResponse<String> r = Http.post(server.http("presence"), server.pushKey(), body(users));
                assertEquals(200, r.statusCode(), r.body());
                JsonArray answers = json(r.body()).getJsonArray("users");
                assertEquals(1000, answers.size());
                for (int i = 0; i < 1000; i++) {
                    JsonObject a = answers.getJsonObject(i);
                    String user = users.get(i);
                    int expected = user.equals("u7") ? 2 : user.equals("u999") ? 1 : 0;
                    assertEquals(user, a.getString("userId"));
                    assertEquals(expected, a.getInt("connections"), user);
                    assertEquals(expected > 0, a.getBoolean("online"), user);
                }

                // A repeated id is answered once, where first listed.
                r = Http.post(server.http("presence"), server.pushKey(), body(List.of("u7", "nobody", "u7")));
                assertEquals(200, r.statusCode(), r.body());
                assertEquals("{\"users\":[{\"userId\":\"u7\",\"online\":true,\"connections\":2},"
                        + "{\"userId\":\"nobody\",\"online\":false,\"connections\":0}]}", r.body());

                users.add("one-too-many");
                r = Http.post(server.http("presence"), server.pushKey(), body(users));
                assertEquals(413, r.statusCode(), r.body());
                assertEquals("too_many_items", Http.stringField(r.body(), "error"));
            } finally {
                clients.forEach(WsClient::close);
            }
        }
    }

    @Test
    void badBodiesAndKeysGetJsonErrors() {
        try (TestServer server = TestServer.builder().set("presence.key", PRESENCE_KEY).start()) {
            for (String bad : List.of("", "[]", "{}", "{\"userIds\":[]}", "{\"userIds\":\"alice\"}",
                    "{\"userIds\":[\"\"]}", "{\"userIds\":[1]}", "{\"userIds\":[\"a\"]", "{\"userIds\":[\"a\"]} x")) {
                HttpResponse<String> r = Http.post(server.http("presence"), PRESENCE_KEY, bad);
                assertEquals(400, r.statusCode(), bad + " -> " + r.body());
                assertEquals("bad_request", Http.stringField(r.body(), "error"), bad);
                assertTrue(Http.stringField(r.body(), "message").length() > 5, r.body());
            }
            // Its own key; the push key is not it once it is set.
            for (String key : new String[]{null, "wrong-key-0123456789", TestServer.PUSH_KEY}) {
                HttpResponse<String> g = Http.get(server.http("presence/alice"), key);
                assertEquals(401, g.statusCode(), String.valueOf(key));
                assertEquals("unauthorized", Http.stringField(g.body(), "error"));
                HttpResponse<String> p = Http.post(server.http("presence"), key, body(List.of("alice")));
                assertEquals(401, p.statusCode(), String.valueOf(key));
                assertEquals("unauthorized", Http.stringField(p.body(), "error"));
            }
            assertEquals(200, Http.get(server.http("presence/alice"), PRESENCE_KEY).statusCode());
        }
        // Unset, the presence key is the push key.
        try (TestServer server = TestServer.start()) {
            assertEquals(200, Http.get(server.http("presence/alice"), TestServer.PUSH_KEY).statusCode());
            assertEquals(401, Http.get(server.http("presence/alice"), "wrong-key-0123456789").statusCode());
        }
    }
}
