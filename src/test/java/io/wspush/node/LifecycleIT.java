package io.wspush.node;

import io.wspush.testing.Awaiting;
import io.wspush.testing.Http;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.WebSocketHandshakeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Start, stop, limits and deployment shape of a node. */
class LifecycleIT {

    @Test
    void stopClosesEveryClientWith1001() {
        TestServer server = TestServer.start();
        List<WsClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) clients.add(Awaiting.registered(server, "u" + (i % 3), Tokens.valid("u" + (i % 3)), null));
            clients.add(WsClient.connect(server.ws())); // not registered yet
        } finally {
            server.close();
        }
        for (WsClient c : clients) {
            // 1001 is the contract; the reason text is ours or the container's, whichever closes first.
            assertEquals(1001, c.awaitClose().code());
        }
    }

    @Test
    void pushesDuringShutdownFinishOrAnswerAnErrorAndNoneHang() throws Exception {
        TestServer server = TestServer.start();
        WsClient c = Awaiting.registered(server, "inflight", Tokens.valid("inflight"), null);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.AtomicInteger> outcomes = new java.util.concurrent.ConcurrentHashMap<>();
        List<java.util.concurrent.Future<?>> jobs = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            jobs.add(pool.submit(() -> {
                for (int i = 0; i < 200; i++) {
                    String outcome;
                    try {
                        int status = Http.push(server, "inflight", null, "p").statusCode();
                        outcome = String.valueOf(status);
                    } catch (IllegalStateException e) {
                        outcome = "refused"; // the listener is gone: the client is told at once
                    }
                    outcomes.computeIfAbsent(outcome, k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
                }
            }));
        }
        io.wspush.testing.Poll.until("some pushes done", java.time.Duration.ofSeconds(10),
                () -> outcomes.getOrDefault("200", new java.util.concurrent.atomic.AtomicInteger()).get() > 20);
        server.close();
        for (var f : jobs) f.get(30, java.util.concurrent.TimeUnit.SECONDS); // HTTP timeout is 10 s: none hung
        pool.shutdown();
        assertEquals(1600, outcomes.values().stream().mapToInt(java.util.concurrent.atomic.AtomicInteger::get).sum());
        for (String o : outcomes.keySet()) {
            assertTrue(o.equals("200") || o.equals("503") || o.equals("refused"), "outcome " + o + " in " + outcomes);
        }
        assertEquals(1001, c.awaitClose().code());
    }

    @Test
    void worksUnderAContextPath() throws Exception {
        try (TestServer server = TestServer.builder().contextPath("/realtime").start()) {
            assertTrue(server.ws().toString().contains("/realtime/ws"), server.ws().toString());
            try (WsClient c = Awaiting.registered(server, "ctx", Tokens.valid("ctx"), null)) {
                assertEquals(1, Http.intField(Http.push(server, "ctx", null, "under a path"), "delivered"));
                assertEquals("under a path", c.next());
            }
            assertEquals(200, Http.get(server.http(""), null).statusCode());
            assertEquals(200, Http.get(server.http("health"), null).statusCode());
        }
    }

    @Test
    void connectionsPerUserAreLimited() throws Exception {
        try (TestServer server = TestServer.builder().set("limit.connections-per-user", 2).start();
             WsClient a = Awaiting.registered(server, "greedy", Tokens.valid("greedy"), null);
             WsClient b = Awaiting.registered(server, "greedy", Tokens.valid("greedy"), null);
             WsClient c = WsClient.register(server.ws(), Tokens.valid("greedy"), null)) {
            assertEquals(new WsClient.Close(1008, "too many connections for this user"), c.awaitClose());
            assertEquals(2, Awaiting.userConnections(server, "greedy"));
            assertEquals(2, Http.intField(Http.push(server, "greedy", null, "x"), "delivered"));
            assertEquals("x", a.next());
            assertEquals("x", b.next());
        }
    }

    @Test
    void connectionsPerNodeAreLimited() {
        try (TestServer server = TestServer.builder().set("limit.connections", 2).start();
             WsClient a = WsClient.connect(server.ws());
             WsClient b = WsClient.connect(server.ws())) {
            Awaiting.connections(server, 2);
            try (WsClient c = WsClient.connect(server.ws())) {
                assertEquals(new WsClient.Close(1013, "server full"), c.awaitClose());
            }
            a.close();
            Awaiting.connections(server, 1);
            try (WsClient d = WsClient.connect(server.ws())) {
                Awaiting.connections(server, 2);
                assertTrue(!d.isClosed());
            }
        }
    }

    @Test
    void originAllowListRefusesOtherOriginsAtTheHandshake() throws Exception {
        try (TestServer server = TestServer.builder().set("allowed-origins", "https://app.example.com, https://admin.example.com").start()) {
            HttpClient http = HttpClient.newHttpClient();
            CompletionException refused = assertThrows(CompletionException.class, () -> http.newWebSocketBuilder()
                    .header("Origin", "https://evil.example.net").buildAsync(server.ws(), new java.net.http.WebSocket.Listener() {
                    }).join());
            assertTrue(refused.getCause() instanceof WebSocketHandshakeException, String.valueOf(refused.getCause()));
            assertEquals(403, ((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode());
            var ok = http.newWebSocketBuilder().header("Origin", "https://admin.example.com")
                    .buildAsync(server.ws(), new java.net.http.WebSocket.Listener() {
                    }).join();
            ok.abort();
        }
    }
}
