package io.wspush.broker;

import io.wspush.testing.Http;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.V1;
import io.wspush.testing.V1.Msg;
import io.wspush.testing.WsClient;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-user history on a single node (memory broker): offsets and epochs, resuming with {@code since}, pushes racing
 * a resume, too much missed, push ids, and plain clients untouched.
 */
class HistoryIT {

    static final int SIZE = 20;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.builder().set("history.size", SIZE).set("limit.connections-per-user", 1000).start();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static long push(String user, String event, String message) {
        return V1.offset(V1.push(server, user, event, message, null));
    }

    @Test
    void pushesGetConsecutiveOffsetsAndV1EnvelopesCarryThemWhilePlainClientsGetBareStrings() throws Exception {
        String user = "h-offsets";
        try (WsClient v1 = V1.connect(server.ws(), Tokens.valid(user), null, null, null);
             WsClient plain = io.wspush.testing.Awaiting.registered(server, user, Tokens.valid(user), null)) {
            JsonObject reg = V1.registered(v1);
            assertNull(V1.recovered(reg), "no since, no recovered: " + reg);
            assertEquals(1, push(user, null, "one"));
            assertEquals(2, push(user, "news", "two"));
            Msg m1 = V1.next(v1), m2 = V1.next(v1);
            assertEquals(new Msg("one", null, 1, m1.epoch()), m1);
            assertEquals(new Msg("two", "news", 2, m1.epoch()), m2);
            assertEquals(16, m1.epoch().length(), m1.epoch());
            assertEquals("one", plain.next(V1.WAIT));
            assertEquals("two", plain.next(V1.WAIT));
            assertEquals(List.of(), plain.drain());
        }
    }

    @Test
    void aResumingClientGetsWhatItMissedInOrderThenLiveMessages() throws Exception {
        String user = "h-resume";
        String token = Tokens.valid(user);
        String e;
        try (WsClient c = V1.connect(server.ws(), token, null, null, null)) {
            V1.registered(c);
            for (int i = 1; i <= 3; i++) push(user, null, "m" + i);
            e = V1.next(c).epoch();
            for (int i = 2; i <= 3; i++) assertEquals(new Msg("m" + i, null, i, e), V1.next(c));
        }
        for (int i = 4; i <= 6; i++) push(user, i % 2 == 0 ? "news" : "sports", "m" + i);
        try (WsClient c = V1.connect(server.ws(), token, null, 3L, e)) {
            JsonObject reg = V1.registered(c);
            assertEquals(Boolean.TRUE, V1.recovered(reg));
            assertEquals(3, reg.getInt("missed"), reg.toString());
            for (int i = 4; i <= 6; i++) assertEquals(new Msg("m" + i, i % 2 == 0 ? "news" : "sports", i, e), V1.next(c));
            push(user, null, "m7");
            assertEquals(7, V1.next(c).offset());
        }
        // An event filter: only matching pushes are replayed, the position still passes over the others.
        try (WsClient c = V1.connect(server.ws(), token, "news", 3L, e)) {
            JsonObject reg = V1.registered(c);
            assertEquals(Boolean.TRUE, V1.recovered(reg));
            assertEquals(3, reg.getInt("missed"), "4, 6 and 7 (no event): " + reg);
            assertEquals(4, V1.next(c).offset());
            assertEquals(6, V1.next(c).offset());
            assertEquals(7, V1.next(c).offset());
            push(user, "sports", "m8");
            push(user, "news", "m9");
            assertEquals(9, V1.next(c).offset());
        }
        // Nothing missed: recovered, nothing replayed.
        try (WsClient c = V1.connect(server.ws(), token, null, 9L, e)) {
            assertEquals(Boolean.TRUE, V1.recovered(V1.registered(c)));
            push(user, null, "m10");
            assertEquals(10, V1.next(c).offset());
        }
    }

    /** The epoch of the user's history, read from a fresh connection and one push. */
    static String firstEpoch(String user, String token) throws InterruptedException {
        try (WsClient c = V1.connect(server.ws(), token, "no-such-event-" + System.nanoTime(), null, null)) {
            V1.registered(c);
            long off = push(user, null, "epoch probe");
            Msg m = V1.next(c);
            assertEquals(off, m.offset());
            return m.epoch();
        }
    }

    @Test
    void moreMissedThanHistoryKeepsOrAnotherEpochIsNotRecovered() throws Exception {
        String user = "h-overflow";
        String token = Tokens.valid(user);
        String e = firstEpoch(user, token); // offset 1
        for (int i = 0; i < SIZE + 1; i++) push(user, null, "x" + i); // 2 .. SIZE+2; 2 drops out
        try (WsClient c = V1.connect(server.ws(), token, null, 1L, e)) {
            assertEquals(Boolean.FALSE, V1.recovered(V1.registered(c)));
            long next = push(user, null, "live");
            assertEquals(new Msg("live", null, next, e), V1.next(c), "no replay, then live");
        }
        // Kept now: the last SIZE pushes, offsets 4 .. SIZE+3.
        try (WsClient c = V1.connect(server.ws(), token, null, 3L, e)) {
            assertEquals(Boolean.TRUE, V1.recovered(V1.registered(c)), "exactly what is kept");
            for (long o = 4; o <= SIZE + 3; o++) assertEquals(o, V1.next(c).offset());
        }
        try (WsClient c = V1.connect(server.ws(), token, null, 2L, e)) {
            assertEquals(Boolean.FALSE, V1.recovered(V1.registered(c)), "one more than is kept");
        }
        for (String[] since : new String[][] {{"5", "0123456789abcdef"}, {"999", e}}) {
            try (WsClient c = V1.connect(server.ws(), token, null, Long.parseLong(since[0]), since[1])) {
                assertEquals(Boolean.FALSE, V1.recovered(V1.registered(c)), "since " + List.of(since));
                assertNull(V1.next(c, Duration.ofMillis(200)));
            }
        }
    }

    @Test
    void aPushRetriedWithTheSameIdIsDeliveredOnce() throws Exception {
        String user = "h-id";
        try (WsClient c = V1.connect(server.ws(), Tokens.valid(user), null, null, null)) {
            V1.registered(c);
            HttpResponse<String> first = V1.push(server, user, null, "once", "alert-42");
            HttpResponse<String> retry = V1.push(server, user, null, "once", "alert-42");
            assertEquals(1, Http.intField(first, "delivered"));
            assertEquals(0, Http.intField(retry, "delivered"), retry.body());
            assertEquals(V1.offset(first), V1.offset(retry));
            HttpResponse<String> other = V1.push(server, user, null, "another", "alert-43");
            assertEquals(V1.offset(first) + 1, V1.offset(other));
            assertEquals("once", V1.next(c).message());
            assertEquals("another", V1.next(c).message());
            assertNull(V1.next(c, Duration.ofMillis(200)));
            // The same id for another user is another push.
            assertEquals(1, V1.offset(V1.push(server, "h-id-other", null, "x", "alert-42")));
            for (String bad : List.of("i".repeat(201), "")) {
                HttpResponse<String> r = V1.push(server, user, null, "x", bad);
                assertEquals(400, r.statusCode(), r.body());
            }
            // A wserver-era pusher sending an "id" of another type: skipped like any unknown member, as before.
            HttpResponse<String> numeric = Http.post(server.http("push"), server.pushKey(),
                    "{\"userId\":\"" + user + "\",\"message\":\"numeric id\",\"id\":42}");
            HttpResponse<String> again = Http.post(server.http("push"), server.pushKey(),
                    "{\"userId\":\"" + user + "\",\"message\":\"numeric id\",\"id\":42}");
            assertEquals(1, Http.intField(numeric, "delivered"), numeric.body());
            assertEquals(1, Http.intField(again, "delivered"), "no dedup without a string id");
            assertEquals("numeric id", V1.next(c).message());
            assertEquals("numeric id", V1.next(c).message());
        }
    }

    @Test
    void pushesRacingResumesAreNeitherLostNorDuplicated() throws Exception {
        String user = "h-race";
        String token = Tokens.valid(user);
        int total = 400;
        AtomicBoolean failed = new AtomicBoolean();
        ExecutorService pusher = Executors.newSingleThreadExecutor();
        List<Long> got = new ArrayList<>();
        String epoch = firstEpoch(user, token);
        got.add(1L);
        try {
            // The pusher stays at most SIZE/2 ahead of the reader (history must still hold what it missed).
            Semaphore ahead = new Semaphore(SIZE / 2);
            Future<?> pushing = pusher.submit(() -> {
                for (int i = 0; i < total && !failed.get(); i++) {
                    ahead.acquire();
                    push(user, null, "r" + i);
                }
                return null;
            });
            int resumes = 0;
            while (got.get(got.size() - 1) < total + 1) {
                long since = got.get(got.size() - 1);
                try (WsClient c = V1.connect(server.ws(), token, null, since, epoch)) {
                    resumes++;
                    assertEquals(Boolean.TRUE, V1.recovered(V1.registered(c)), "resume " + resumes + " since " + since);
                    // Read a few, then drop the connection abruptly while pushes go on.
                    for (int k = 0; k < 7 && got.get(got.size() - 1) < total + 1; k++) {
                        Msg m = V1.next(c);
                        assertEquals(epoch, m.epoch());
                        got.add(m.offset());
                        ahead.release();
                    }
                    c.abort();
                }
            }
            pushing.get();
            assertTrue(resumes > 10, "resumed " + resumes + " times");
        } catch (Throwable t) {
            failed.set(true);
            throw t;
        } finally {
            pusher.shutdownNow();
        }
        for (int i = 0; i < got.size(); i++) assertEquals(i + 1L, got.get(i), "offsets in order, once each: " + got);
    }

    @Test
    void aMalformedSinceIsRefusedForV1ClientsAndIgnoredForPlainOnes() throws Exception {
        String token = Tokens.valid("h-bad-since");
        for (String since : List.of("\"x\"", "{\"offset\":-1,\"epoch\":\"e\"}", "{\"offset\":1.5,\"epoch\":\"e\"}",
                "{\"offset\":1}", "{\"offset\":1,\"epoch\":7}", "[1]")) {
            try (WsClient c = WsClient.connect(server.ws(), "wspush.v1")) {
                c.send("{\"token\":\"" + token + "\",\"since\":" + since + "}");
                assertEquals(new WsClient.Close(1008, "registration expected"), c.awaitClose(), since);
            }
        }
        try (WsClient c = WsClient.connect(server.ws())) {
            c.send("{\"token\":\"" + token + "\",\"since\":\"x\"}");
            io.wspush.testing.Awaiting.userConnections(server, "h-bad-since", 1);
            push("h-bad-since", null, "plain");
            assertEquals("plain", c.next(V1.WAIT));
        }
    }

    @Test
    void withHistoryOffNothingChanges() throws Exception {
        try (TestServer off = TestServer.builder().set("history.size", 0).start();
             WsClient c = V1.connect(off.ws(), Tokens.valid("h-off"), null, 3L, "e")) {
            JsonObject reg = V1.registered(c);
            assertFalse(reg.containsKey("recovered"), reg.toString());
            HttpResponse<String> r = V1.push(off, "h-off", null, "m", "id-1");
            assertEquals("{\"delivered\":1}", r.body());
            String frame = c.next(V1.WAIT);
            assertNotNull(frame);
            assertFalse(frame.contains("offset"), frame);
            assertEquals("{\"delivered\":1}", V1.push(off, "h-off", null, "m", "id-1").body(), "no dedup without history");
        }
    }
}
