package io.wspush.connection;

import io.wspush.testing.Awaiting;
import io.wspush.testing.Http;
import io.wspush.testing.Poll;
import io.wspush.testing.RawWebSocket;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-connection writer under pressure: concurrency, slow and vanished clients. */
class DeliveryIT {

    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.builder()
                .set("ping.interval", "0.5")
                .set("idle.timeout", "2")
                .set("limit.connections-per-user", 1000)
                .start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void concurrentPushesToOneUserWithHundredsOfConnectionsLoseNothing() throws Exception {
        int connections = 300, pushes = 300, threads = 16;
        String user = "fanout-user";
        List<WsClient> clients = new ArrayList<>();
        // Several HTTP clients spread the sockets over several selector threads.
        List<HttpClient> transports = List.of(HttpClient.newHttpClient(), HttpClient.newHttpClient(), HttpClient.newHttpClient());
        try {
            for (int i = 0; i < connections; i++) {
                WsClient c = WsClient.connect(transports.get(i % transports.size()), server.ws());
                c.send(WsClient.registration(Tokens.valid(user), null));
                clients.add(c);
            }
            Awaiting.userConnections(server, user, connections);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            AtomicInteger delivered = new AtomicInteger();
            List<Future<?>> done = new ArrayList<>();
            for (int p = 0; p < pushes; p++) {
                String msg = "m-" + p;
                done.add(pool.submit(() -> {
                    HttpResponse<String> r = Http.push(server, user, null, msg);
                    assertEquals(200, r.statusCode(), r.body());
                    delivered.addAndGet(Http.intField(r, "delivered"));
                }));
            }
            for (Future<?> f : done) f.get(60, TimeUnit.SECONDS);
            pool.shutdown();
            assertEquals(connections * pushes, delivered.get(), "sum of delivered");
            for (WsClient c : clients) {
                Set<String> got = new HashSet<>();
                for (int i = 0; i < pushes; i++) {
                    String m = c.next(Duration.ofSeconds(30));
                    if (m == null) throw new AssertionError("connection got only " + got.size() + " of " + pushes);
                    assertTrue(got.add(m), "duplicate " + m);
                }
                assertEquals(pushes, got.size());
            }
        } finally {
            clients.forEach(WsClient::close);
        }
        Awaiting.userConnections(server, user, 0);
    }

    @Test
    void abruptDisconnectsLeaveTheRegistryWithinSeconds() {
        List<WsClient> clients = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            clients.add(Awaiting.registered(server, "abrupt", Tokens.valid("abrupt"), null));
        }
        clients.forEach(WsClient::abort); // TCP closed, no close frame
        Awaiting.userConnections(server, "abrupt", 0);
        assertEquals(0, Http.intField(Http.push(server, "abrupt", null, "x"), "delivered"));
    }

    @Test
    void connectionsDroppedMidSendLeakNothing() throws Exception {
        String user = "midsend";
        List<WsClient> clients = new ArrayList<>();
        for (int i = 0; i < 50; i++) clients.add(Awaiting.registered(server, user, Tokens.valid(user), null));
        ExecutorService pushers = Executors.newFixedThreadPool(4);
        List<Future<?>> jobs = new ArrayList<>();
        String big = "payload-".repeat(2000);
        for (int t = 0; t < 4; t++) {
            jobs.add(pushers.submit(() -> {
                for (int i = 0; i < 100; i++) assertEquals(200, Http.push(server, user, null, big).statusCode());
            }));
        }
        // Drop every client while messages stream to it.
        Poll.until("streaming", Duration.ofSeconds(10), () -> clients.get(49).drain().size() > 0 || clients.get(0).drain().size() > 0);
        clients.forEach(WsClient::abort);
        for (Future<?> f : jobs) f.get(60, TimeUnit.SECONDS);
        pushers.shutdown();
        Awaiting.userConnections(server, user, 0);
        Awaiting.connections(server, 0);
        Poll.until("metrics back to zero", Duration.ofSeconds(10), () -> {
            String m = Http.get(server.http("metrics"), TestServer.PUSH_KEY).body();
            return m.contains("wspush_connections 0.0") && m.contains("wspush_users 0.0")
                    && m.contains("wspush_connections_registered 0.0");
        });
    }

    @Test
    void clientThatStopsAnsweringPingsIsClosedByTheHeartbeat() throws Exception {
        try (RawWebSocket raw = RawWebSocket.connect(server.ws(), 0)) {
            raw.sendText(WsClient.registration(Tokens.valid("silent"), null));
            Awaiting.userConnections(server, "silent", 1);
            // Reads (and so sees the pings) but never answers one: like a peer whose network went away.
            assertEquals(4003, raw.readUntilClose());
            Awaiting.userConnections(server, "silent", 0);
        }
    }

    @Test
    void healthyIdleClientSurvivesManyHeartbeats() throws Exception {
        try (WsClient c = Awaiting.registered(server, "idle-ok", Tokens.valid("idle-ok"), null)) {
            // The JDK client answers pings; idle.timeout is 2 s, so 3 s of silence spans several ping rounds.
            assertEquals(null, c.next(Duration.ofSeconds(3)));
            assertEquals(1, Http.intField(Http.push(server, "idle-ok", null, "still here"), "delivered"));
            assertEquals("still here", c.next());
        }
    }

    @Test
    void clientThatNeverReadsIsClosedByTheQueueLimitWithoutDelayingOthers() throws Exception {
        try (RawWebSocket stuck = RawWebSocket.connect(server.ws(), 4096);
             WsClient healthy = Awaiting.registered(server, "healthy", Tokens.valid("healthy"), null)) {
            stuck.sendText(WsClient.registration(Tokens.valid("stuck"), null));
            Awaiting.userConnections(server, "stuck", 1);
            String big = "z".repeat(64 * 1024);
            int accepted = 0;
            // Far more than socket buffers plus 50 queued messages can hold: the queue must overflow.
            for (int i = 0; i < 400 && Awaiting.userConnections(server, "stuck") > 0; i++) {
                HttpResponse<String> r = Http.push(server, "stuck", null, big);
                assertEquals(200, r.statusCode());
                accepted += Http.intField(r, "delivered");
                // Others are served meanwhile.
                if (i % 50 == 0) {
                    assertEquals(1, Http.intField(Http.push(server, "healthy", null, "h" + i), "delivered"));
                    assertEquals("h" + i, healthy.next());
                }
            }
            Awaiting.userConnections(server, "stuck", 0);
            assertTrue(accepted >= 50, "queued before overflow: " + accepted);
            assertEquals(0, Http.intField(Http.push(server, "stuck", null, "after"), "delivered"));
            String metrics = Http.get(server.http("metrics"), TestServer.PUSH_KEY).body();
            assertTrue(metrics.contains("wspush_slow_consumer_closes_total 1.0")
                    || metrics.matches("(?s).*wspush_slow_consumer_closes_total [1-9].*"), metrics);
            assertTrue(metrics.contains("wspush_closes_total{reason=\"4001\"}"), metrics);
        }
    }

    @Test
    void burstOfConnectsAndDisconnectsUnderPushesLosesNothingForStableConnections() throws Exception {
        String user = "churn";
        List<WsClient> stable = new ArrayList<>();
        for (int i = 0; i < 5; i++) stable.add(Awaiting.registered(server, user, Tokens.valid(user), null));
        ExecutorService churners = Executors.newFixedThreadPool(4);
        AtomicInteger churned = new AtomicInteger();
        long churnUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        List<Future<?>> churn = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            churn.add(churners.submit(() -> {
                while (System.nanoTime() < churnUntil && churned.get() < 2000) {
                    WsClient c = WsClient.register(server.ws(), Tokens.valid(user), null);
                    if (churned.incrementAndGet() % 2 == 0) c.abort();
                    else c.close();
                }
            }));
        }
        int pushes = 200;
        for (int p = 0; p < pushes; p++) {
            assertEquals(200, Http.push(server, user, null, "c" + p).statusCode());
        }
        for (Future<?> f : churn) f.get(30, TimeUnit.SECONDS);
        churners.shutdown();
        for (WsClient c : stable) {
            for (int p = 0; p < pushes; p++) {
                assertEquals("c" + p, c.next(Duration.ofSeconds(10)), "stable connection, in order");
            }
            c.close();
        }
        assertTrue(churned.get() > 10, "churned " + churned.get());
        Awaiting.userConnections(server, user, 0);
        Poll.untilEquals("registry empty", Duration.ofSeconds(10), 0,
                () -> Http.intField(Http.get(server.http("health"), null), "connections"));
    }
}
