package io.wspush.endpoint;

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

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Thousands of broken, oversized, binary and out-of-order frames from raw sockets, while a well-behaved client
 * keeps receiving: afterwards the server still serves and holds no connection but the good one.
 */
class HostileInputIT {

    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.builder().set("register.timeout", "0.5").set("ws.max-frame-bytes", 4096).start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    interface Attack {
        void run(RawWebSocket ws, Random rnd) throws IOException;
    }

    static final Map<String, Attack> ATTACKS = Map.ofEntries(
            Map.entry("random bytes", (ws, rnd) -> {
                byte[] b = new byte[1 + rnd.nextInt(512)];
                rnd.nextBytes(b);
                ws.raw(b);
            }),
            Map.entry("binary frame", (ws, rnd) -> ws.frame(true, 0x2, new byte[] {1, 2, 3})),
            Map.entry("reserved opcode", (ws, rnd) -> ws.frame(true, 0x3 + rnd.nextInt(5), new byte[] {1})),
            Map.entry("huge declared length", (ws, rnd) -> ws.raw(new byte[] {(byte) 0x81, (byte) 0xFF, 0x7F, -1, -1, -1, -1, -1, -1, -1, 1, 2, 3, 4})),
            Map.entry("oversized text", (ws, rnd) -> ws.sendText("{\"token\":\"" + "a".repeat(10_000) + "\"}")),
            Map.entry("continuation first", (ws, rnd) -> ws.frame(true, 0x0, "{}".getBytes(StandardCharsets.UTF_8))),
            Map.entry("unfinished fragments", (ws, rnd) -> ws.frame(false, 0x1, "{\"token\":".getBytes(StandardCharsets.UTF_8))),
            Map.entry("invalid utf-8", (ws, rnd) -> ws.frame(true, 0x1, new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF})),
            Map.entry("garbage json", (ws, rnd) -> ws.sendText("{\"token\":[" + "[".repeat(rnd.nextInt(200)))),
            Map.entry("bad close code", (ws, rnd) -> ws.frame(true, 0x8, new byte[] {0x03, (byte) 0xE7})),
            Map.entry("ping flood then nothing", (ws, rnd) -> {
                for (int i = 0; i < 50; i++) ws.frame(true, 0x9, new byte[] {(byte) i});
            }),
            Map.entry("register then garbage", (ws, rnd) -> {
                ws.sendText(WsClient.registration(Tokens.valid("hostile"), null));
                ws.sendText("{\"token\":\"again\"}");
                ws.frame(true, 0x2, new byte[64]);
            }),
            Map.entry("bad token", (ws, rnd) -> ws.sendText("{\"token\":\"eyJ" + rnd.nextInt() + ".x.y\"}")),
            Map.entry("drop mid-frame", (ws, rnd) -> ws.raw(new byte[] {(byte) 0x81, (byte) 0xFE, 0x10, 0x00, 1, 2, 3, 4, 5})));

    @Test
    void hostileClientsLeaveTheServerServingAndTheRegistryEmpty() throws Exception {
        int perAttack = 150;
        AtomicInteger tried = new AtomicInteger();
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        try (WsClient good = Awaiting.registered(server, "good", Tokens.valid("good"), null)) {
            ExecutorService pool = Executors.newFixedThreadPool(48);
            List<Future<?>> jobs = new ArrayList<>();
            for (var attack : ATTACKS.entrySet()) {
                for (int i = 0; i < perAttack; i++) {
                    int seed = i;
                    jobs.add(pool.submit(() -> {
                        Random rnd = new Random(seed * 31L + attack.getKey().hashCode());
                        try (RawWebSocket ws = RawWebSocket.connect(server.ws(), 0)) {
                            ws.socket().setSoTimeout(5000);
                            attack.getValue().run(ws, rnd);
                            tried.incrementAndGet();
                            int code;
                            try {
                                code = ws.readUntilClose();
                            } catch (IOException e) {
                                code = -2; // reset or read timeout: the server dropped or ignored us
                            }
                            outcomes.computeIfAbsent(attack.getKey() + " -> " + code, k -> new AtomicInteger()).incrementAndGet();
                        }
                        return null;
                    }));
                }
            }
            int pushes = 0;
            for (Future<?> f : jobs) {
                f.get(60, TimeUnit.SECONDS);
                // The good client is served all along.
                if (pushes < 50 && jobs.indexOf(f) % 40 == 0) {
                    String m = "ok" + pushes++;
                    assertEquals(1, Http.intField(Http.push(server, "good", null, m), "delivered"));
                    assertEquals(m, good.next());
                }
            }
            pool.shutdown();
            System.out.println("HostileInputIT: " + tried.get() + " bad inputs; outcomes (attack -> close code, -1 = "
                    + "socket closed without close frame, -2 = reset/timeout): " + new java.util.TreeMap<>(outcomes));
            assertEquals(ATTACKS.size() * perAttack, tried.get());
            Awaiting.userConnections(server, "hostile", 0);
            Poll.untilEquals("only the good connection left", Duration.ofSeconds(15), 1,
                    () -> Http.intField(Http.get(server.http("health"), null), "connections"));
            assertEquals(1, Http.intField(Http.push(server, "good", null, "after"), "delivered"));
            assertEquals("after", good.next());
        }
        Awaiting.connections(server, 0);
    }
}
