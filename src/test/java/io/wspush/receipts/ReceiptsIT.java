package io.wspush.receipts;

import io.wspush.testing.Awaiting;
import io.wspush.testing.Http;
import io.wspush.testing.Poll;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.V1;
import io.wspush.testing.WsClient;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Delivery receipts on one node (docs/PROTOCOL.md "Receipts"): v1 devices acknowledging or not, plain clients, bad
 * options, the bound on waiting pushes, a thousand waits holding no request thread, and shutdown answering them.
 */
class ReceiptsIT {

    static final int MAX_PENDING = 1000;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.builder().set("receipts.max-wait", 30).set("receipts.max-pending", MAX_PENDING)
                .set("queue.max-messages", 5000).start();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    /** A v1 device of {@code user}, registered. */
    static WsClient device(TestServer s, String user) throws InterruptedException {
        WsClient c = V1.connect(s.ws(), Tokens.valid(user), null, null, null);
        V1.registered(c);
        return c;
    }

    static String ack(long offset) {
        return "{\"type\":\"ack\",\"offset\":" + offset + "}";
    }

    static String body(String user, String message, String receipts) {
        return "{\"userId\":\"" + user + "\",\"message\":\"" + message + "\",\"receipts\":" + receipts + "}";
    }

    static HttpRequest request(TestServer s, String body) {
        return HttpRequest.newBuilder(s.http("push")).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + s.pushKey()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    static CompletableFuture<HttpResponse<String>> pushAsync(TestServer s, String body) {
        return Http.CLIENT.sendAsync(request(s, body), HttpResponse.BodyHandlers.ofString());
    }

    static JsonObject answer(CompletableFuture<HttpResponse<String>> f) throws Exception {
        HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), r.body());
        return V1.json(r.body());
    }

    /** Reads the next message on {@code c} and acknowledges it; @return its offset */
    static long receiveAndAck(WsClient c) throws InterruptedException {
        V1.Msg m = V1.next(c);
        assertTrue(m.offset() > 0, "message without offset: " + m);
        c.send(ack(m.offset()));
        return m.offset();
    }

    /** What a finished request gave: its status and body, or its failure. */
    static String outcome(CompletableFuture<HttpResponse<String>> f) {
        try {
            HttpResponse<String> r = f.join();
            return r.statusCode() + " " + r.body();
        } catch (RuntimeException e) {
            return String.valueOf(e.getCause());
        }
    }

    static double metric(TestServer s, String name) {
        String text = Http.get(s.http("metrics"), TestServer.PUSH_KEY).body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)$").matcher(text);
        if (!m.find()) throw new AssertionError(name + " not in /metrics");
        return Double.parseDouble(m.group(2));
    }

    @Test
    void threeDevicesTwoAcknowledgeTheAnswerComesAtTheWaitWithAcknowledgedTwo() throws Exception {
        String user = "r-two-of-three";
        try (WsClient a = device(server, user); WsClient b = device(server, user); WsClient c = device(server, user)) {
            double timedOutBefore = metric(server, "wspush_receipts_timed_out_total");
            long started = System.nanoTime();
            var f = pushAsync(server, body(user, "hello", "{\"wait\":2}"));
            long offset = receiveAndAck(a);
            assertEquals(offset, receiveAndAck(b));
            assertEquals(offset, V1.next(c).offset()); // received, never acknowledged
            JsonObject r = answer(f);
            long tookMs = (System.nanoTime() - started) / 1_000_000;
            assertEquals(3, r.getInt("delivered"), r.toString());
            assertEquals(2, r.getInt("acknowledged"), r.toString());
            assertEquals(0, r.getInt("plain"), r.toString());
            assertEquals(offset, r.getJsonNumber("offset").longValueExact(), r.toString());
            assertFalse(r.getBoolean("complete"), r.toString());
            assertTrue(tookMs >= 2000, "answered before the wait ended: " + tookMs + " ms");
            assertTrue(tookMs < 4500, "answered long after the wait: " + tookMs + " ms");
            assertEquals(timedOutBefore + 1, metric(server, "wspush_receipts_timed_out_total"));
        }
    }

    @Test
    void whenEveryDeviceAcknowledgesTheAnswerComesAtOnce() throws Exception {
        String user = "r-all";
        try (WsClient a = device(server, user); WsClient b = device(server, user); WsClient c = device(server, user)) {
            long started = System.nanoTime();
            var f = pushAsync(server, body(user, "hello", "{\"wait\":20}"));
            long offset = receiveAndAck(a);
            receiveAndAck(b);
            // A repeated ack, and acks for offsets nobody waits on, count nothing.
            a.send(ack(offset));
            a.send(ack(offset + 1000));
            receiveAndAck(c);
            JsonObject r = answer(f);
            long tookMs = (System.nanoTime() - started) / 1_000_000;
            assertEquals(3, r.getInt("delivered"), r.toString());
            assertEquals(3, r.getInt("acknowledged"), r.toString());
            assertTrue(r.getBoolean("complete"), r.toString());
            assertTrue(tookMs < 10_000, "waited for nothing: " + tookMs + " ms");
        }
    }

    @Test
    void plainClientsAreDeliveredButCannotAcknowledgeSoTheyDoNotHoldTheAnswer() throws Exception {
        String user = "r-plain";
        try (WsClient v1 = device(server, user);
             WsClient plain = Awaiting.registered(server, user, Tokens.valid(user), null)) {
            var f = pushAsync(server, body(user, "hi", "{\"wait\":20}"));
            receiveAndAck(v1);
            JsonObject r = answer(f);
            assertEquals(2, r.getInt("delivered"), r.toString());
            assertEquals(1, r.getInt("acknowledged"), r.toString());
            assertEquals(1, r.getInt("plain"), r.toString());
            assertTrue(r.getBoolean("complete"), r.toString());
            // The plain client got the bare message only, and its "ack" (it may send anything) is ignored.
            assertEquals("hi", plain.next());
            plain.send(ack(r.getJsonNumber("offset").longValueExact()));
        }
    }

    @Test
    void aPushToNobodyAnswersAtOnce() throws Exception {
        JsonObject r = answer(pushAsync(server, body("r-nobody", "x", "{\"wait\":20}")));
        assertEquals(0, r.getInt("delivered"), r.toString());
        assertTrue(r.getBoolean("complete"), r.toString());
    }

    @Test
    void badReceiptOptionsAreRefusedWith400() throws Exception {
        String[] bad = {
                body("u", "m", "{\"wait\":0}"),
                body("u", "m", "{\"wait\":-1}"),
                body("u", "m", "{\"wait\":\"2\"}"),
                body("u", "m", "{\"wait\":31}"),
                body("u", "m", "{}"),
                body("u", "m", "{\"wait\":2,\"until\":\"acked\"}"),
                body("u", "m", "5"),
                body("u", "m", "[2]"),
                "{\"userIds\":[\"a\",\"b\"],\"message\":\"m\",\"receipts\":{\"wait\":2}}",
                "{\"broadcast\":true,\"message\":\"m\",\"receipts\":{\"wait\":2}}",
                "[" + body("u", "m", "{\"wait\":2}") + "]",
                "{\"message\":\"m\",\"receipts\":{\"wait\":2}}",
        };
        for (String b : bad) {
            HttpResponse<String> r = Http.post(server.http("push"), server.pushKey(), b);
            assertEquals(400, r.statusCode(), b + " -> " + r.body());
            assertNotNull(Http.stringField(r.body(), "message"), r.body());
        }
        // "receipts" as a message text, and receipts null, are ordinary pushes.
        HttpResponse<String> r = Http.post(server.http("push"), server.pushKey(), "{\"userId\":\"u\",\"message\":\"receipts\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertNull(Http.stringField(r.body(), "acknowledged"));
        r = Http.post(server.http("push"), server.pushKey(), body("u", "m", "null"));
        assertEquals(200, r.statusCode(), r.body());
        assertFalse(r.body().contains("acknowledged"), r.body());
    }

    @Test
    void malformedAcksAreIgnoredAndTheConnectionStays() throws Exception {
        String user = "r-malformed";
        try (WsClient a = device(server, user)) {
            for (String f : new String[]{"{\"type\":\"ack\"}", "{\"type\":\"ack\",\"offset\":\"1\"}",
                    "{\"type\":\"ack\",\"offset\":1.5}", "{\"type\":\"ack\",\"offset\":-3}",
                    "{\"type\":\"ack\",\"offset\":99999999999999999999999}", "{\"type\":\"ack\",\"offset\":1,\"x\":1}",
                    "{\"type\":\"ack\",\"offset\":1}trailing", "[\"ack\"]"}) {
                a.send(f);
            }
            var f = pushAsync(server, body(user, "after", "{\"wait\":20}"));
            receiveAndAck(a);
            JsonObject r = answer(f);
            assertEquals(1, r.getInt("acknowledged"), r.toString());
            assertFalse(a.isClosed());
        }
    }

    /**
     * A thousand pushes wait at once (the bound), holding no request thread: meanwhile the next one is refused with
     * 503 too_many_waiting, and an ordinary push and /health answer promptly. Then the one device acknowledges
     * everything and all thousand answer complete.
     */
    @Test
    void aThousandWaitingPushesHoldNoThread() throws Exception {
        String user = "r-thousand";
        // HTTP/1.1 as pushers speak it (the JDK's default offers an h2c upgrade on every new connection).
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        try (WsClient device = device(server, user)) {
            List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>(MAX_PENDING);
            long started = System.nanoTime();
            // In steps of 100, each waited for: a thousand connects at one instant overflow the listen backlog
            // (Jetty's default, 50), a test of the socket layer rather than of the receipts.
            for (int step = 100; step <= MAX_PENDING; step += 100) {
                while (waiting.size() < step) {
                    int i = waiting.size();
                    waiting.add(client.sendAsync(request(server, body(user, "m" + i, "{\"wait\":30}")),
                            HttpResponse.BodyHandlers.ofString()));
                }
                int expected = step;
                Poll.until(expected + " pushes waiting", Duration.ofSeconds(20), () -> {
                    for (var w : waiting) {
                        if (w.isDone()) throw new AssertionError("answered early, after "
                                + (System.nanoTime() - started) / 1_000_000 + " ms: " + outcome(w));
                    }
                    return metric(server, "wspush_receipts_waiting") == expected;
                });
            }
            long t0 = System.nanoTime();
            HttpResponse<String> over = Http.post(server.http("push"), server.pushKey(), body(user, "over", "{\"wait\":5}"));
            assertEquals(503, over.statusCode(), over.body());
            assertEquals("too_many_waiting", Http.stringField(over.body(), "error"));
            HttpResponse<String> ordinary = Http.push(server, "r-other", null, "quick");
            assertEquals(200, ordinary.statusCode(), ordinary.body());
            HttpResponse<String> health = Http.get(server.http("health"), null);
            assertEquals(200, health.statusCode(), health.body());
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(tookMs < 3000, "refusal, ordinary push and /health took " + tookMs + " ms while 1000 waited");
            System.out.printf("ReceiptsIT: with %d pushes waiting, a refusal, an ordinary push and /health took %d ms%n",
                    MAX_PENDING, tookMs);
            for (var w : waiting) assertFalse(w.isDone(), "a waiting push answered before its acknowledgement");
            // The device has every message (and the refused one never came): it acknowledges them all.
            for (int i = 0; i < MAX_PENDING; i++) receiveAndAck(device);
            for (var w : waiting) {
                JsonObject r = answer(w);
                assertEquals(1, r.getInt("acknowledged"), r.toString());
                assertTrue(r.getBoolean("complete"), r.toString());
            }
            assertEquals(0.0, metric(server, "wspush_receipts_waiting"));
        }
    }

    /**
     * Undeploying answers a waiting push with what is known. (Jetty's graceful stop of the whole server waits for
     * in-flight requests first, up to its stop timeout: see docs/PROTOCOL.md "Receipts".)
     */
    @Test
    void withoutHistoryReceiptsAreRefusedAndStoppingANodeAnswersItsWaitingPushes() throws Exception {
        try (TestServer off = TestServer.builder().set("history.size", 0).start()) {
            HttpResponse<String> r = Http.post(off.http("push"), off.pushKey(), body("u", "m", "{\"wait\":2}"));
            assertEquals(400, r.statusCode(), r.body());
            assertTrue(r.body().contains("history"), r.body());
        }
        TestServer node = TestServer.builder().set("receipts.max-wait", 30).start();
        try (WsClient device = device(node, "r-stop")) {
            var f = pushAsync(node, body("r-stop", "m", "{\"wait\":30}"));
            V1.next(device);
            Poll.until("the push waits", Duration.ofSeconds(10), () -> metric(node, "wspush_receipts_waiting") == 1);
            long t0 = System.nanoTime();
            node.undeploy();
            JsonObject a = answer(f);
            assertEquals(1, a.getInt("delivered"), a.toString());
            assertEquals(0, a.getInt("acknowledged"), a.toString());
            assertFalse(a.getBoolean("complete"), a.toString());
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(tookMs < 5_000, "the waiting push was left hanging for " + tookMs + " ms");
        } finally {
            node.close();
        }
    }
}
