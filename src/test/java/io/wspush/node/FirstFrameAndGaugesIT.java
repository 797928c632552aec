package io.wspush.node;

import io.wspush.testing.Awaiting;
import io.wspush.testing.Http;
import io.wspush.testing.Poll;
import io.wspush.testing.RawWebSocket;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** "registered" before any message, and the queue gauges (the 1001 reconnect hint: NodeStopTest). */
class FirstFrameAndGaugesIT {

    @Test
    void registeredIsAlwaysTheFirstFrameEvenWithPushesRacingTheRegistration() throws Exception {
        try (TestServer server = TestServer.builder().set("limit.connections-per-user", 1000).start()) {
            String user = "racer";
            AtomicBoolean pushing = new AtomicBoolean(true);
            AtomicInteger delivered = new AtomicInteger();
            List<Thread> pushers = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                Thread p = new Thread(() -> {
                    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos(); // bounded either way
                    while (pushing.get() && System.nanoTime() < end) {
                        delivered.addAndGet(Http.intField(Http.push(server, user, null, "m"), "delivered"));
                    }
                });
                p.start();
                pushers.add(p);
            }
            List<WsClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 150; i++) {
                    WsClient c = WsClient.connect(server.ws(), "wspush.v1");
                    c.send(WsClient.registration(Tokens.valid(user), null));
                    clients.add(c);
                    String first = c.next();
                    assertTrue(first != null && first.startsWith("{\"type\":\"registered\""),
                            "client " + i + "'s first frame: " + first);
                }
            } finally {
                pushing.set(false);
                for (Thread p : pushers) p.join(30_000);
                clients.forEach(WsClient::close);
            }
            assertTrue(delivered.get() > 0, "the pushes reached the clients while they registered");
        }
    }

    @Test
    void queueGaugesShowWhatWaitsForSlowClients() throws Exception {
        try (TestServer server = TestServer.builder().set("queue.max-messages", 100_000)
                .set("queue.max-bytes", 512L << 20).start()) {
            assertEquals(0L, gauge(server, "wspush_queued_messages"));
            assertEquals(0L, gauge(server, "wspush_queued_bytes"));
            try (RawWebSocket slow = RawWebSocket.connect(server.ws(), 4096)) {
                slow.sendText(WsClient.registration(Tokens.valid("slowpoke"), null));
                Awaiting.userConnections(server, "slowpoke", 1);
                String big = "x".repeat(60_000);
                int pushed = 0;
                // Never read: after a few MB the socket is full and messages queue up in wspush.
                while (gauge(server, "wspush_queued_messages") < 5 && pushed < 2_000) {
                    assertEquals(1, Http.intField(Http.push(server, "slowpoke", null, big), "delivered"));
                    pushed++;
                }
                long messages = gauge(server, "wspush_queued_messages");
                long bytes = gauge(server, "wspush_queued_bytes");
                assertTrue(messages >= 5, "queued messages " + messages + " after " + pushed + " pushes");
                assertTrue(bytes >= messages * 60_000 - 60_000, "queued bytes " + bytes + " for " + messages);
            }
            // The socket is gone: its queue is dropped, and so are the totals.
            Awaiting.userConnections(server, "slowpoke", 0);
            Poll.untilEquals("queued messages back to 0", Duration.ofSeconds(10), 0L,
                    () -> gauge(server, "wspush_queued_messages"));
            assertEquals(0L, gauge(server, "wspush_queued_bytes"));
        }
    }

    static long gauge(TestServer server, String name) {
        String metrics = Http.get(server.http("metrics"), TestServer.PUSH_KEY).body();
        Matcher m = Pattern.compile("(?m)^" + name + " ([0-9.E+-]+)$").matcher(metrics);
        if (!m.find()) throw new AssertionError(name + " not in /metrics");
        return (long) Double.parseDouble(m.group(1));
    }
}
