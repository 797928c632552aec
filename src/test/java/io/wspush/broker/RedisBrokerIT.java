package io.wspush.broker;

import io.wspush.testing.Closing;
import io.wspush.testing.RedisProcess;
import io.wspush.testing.Awaiting;
import io.wspush.testing.Http;
import io.wspush.testing.Poll;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two (or three) wspush nodes, each a separate web application in its own Jetty, sharing pushes through a real
 * redis-server: cross-node delivery and its {@code delivered} count, operator disconnects everywhere, and a Redis
 * outage (stop, then restart on the same port) without restarting the nodes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisBrokerIT {

    static final Duration DEADLINE = Duration.ofSeconds(15);
    static final WsClient.Close OPERATOR = new WsClient.Close(4002, "disconnected by operator");

    static RedisProcess redis;
    static TestServer a;
    static TestServer b;

    @BeforeAll
    static void start() {
        redis = RedisProcess.start();
        a = node(redis);
        b = node(redis);
    }

    @AfterAll
    static void stop() {
        Closing.closeAll(a, b);
        if (redis != null) redis.close();
    }

    static TestServer node(RedisProcess r) {
        // A generous publish budget: these tests assert exact cross-node counts on a busy machine.
        return TestServer.builder().set("broker", "redis").set("redis.uri", r.uri()).set("redis.timeout", "0.5")
                .set("redis.publish-budget", "0.5").start();
    }

    /** Waits until {@code nodes} wspush nodes are subscribed to the user's channel in Redis. */
    static void awaitNodesHolding(RedisProcess r, String user, long nodes) {
        Poll.untilEquals("nodes subscribed for " + user, DEADLINE, nodes, () -> r.subscribers(RedisBroker.userChannel(user)));
    }

    static int delivered(TestServer via, String user, String message) {
        HttpResponse<String> r = Http.push(via, user, null, message);
        assertEquals(200, r.statusCode(), r.body());
        return Http.intField(r, "delivered");
    }

    static String status(TestServer s) {
        return Http.stringField(Http.get(s.http("health"), null).body(), "status");
    }

    static String metrics(TestServer s) {
        HttpResponse<String> r = Http.get(s.http("metrics"), s.adminKey());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    static boolean brokerUp(TestServer s, int value) {
        return Pattern.compile("(?m)^wspush_broker_up(\\{[^}]*})? " + value + "(\\.0)?$").matcher(metrics(s)).find();
    }

    static double brokerErrors(TestServer s) {
        var m = Pattern.compile("(?m)^wspush_broker_errors_total(\\{[^}]*})? (\\S+)$").matcher(metrics(s));
        assertTrue(m.find(), "wspush_broker_errors_total in /metrics");
        return Double.parseDouble(m.group(2));
    }

    static void expectMessage(WsClient c, String expected) throws InterruptedException {
        assertEquals(expected, c.next(DEADLINE));
    }

    /** The next {@code n} frames, sorted. */
    static List<String> sortedFrames(WsClient c, int n) throws InterruptedException {
        List<String> got = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String f = c.next(DEADLINE);
            assertNotNull(f, "frame " + (i + 1) + " of " + n + " missing; got " + got);
            got.add(f);
        }
        Collections.sort(got);
        return got;
    }

    // ---- cross-node delivery ----

    @Test
    void pushReachesTheUserOnTheOtherNodeAndDeliveredCountsNodes() throws Exception {
        String token = Tokens.valid("x-user");
        try (WsClient onB = Awaiting.registered(b, "x-user", token, null)) {
            awaitNodesHolding(redis, "x-user", 1);
            // via A: no local connection, one other node holds the user
            assertEquals(1, delivered(a, "x-user", "from A"));
            expectMessage(onB, "from A");
            // via B: one local connection; B's own subscription is not "another node"
            assertEquals(1, delivered(b, "x-user", "from B"));
            expectMessage(onB, "from B");

            try (WsClient onA = Awaiting.registered(a, "x-user", token, null);
                 WsClient onB2 = Awaiting.registered(b, "x-user", token, null)) {
                awaitNodesHolding(redis, "x-user", 2);
                assertEquals(1 + 1, delivered(a, "x-user", "both 1"), "A: 1 local connection + node B");
                assertEquals(2 + 1, delivered(b, "x-user", "both 2"), "B: 2 local connections + node A");
                // Pushes through different nodes may arrive in either order (a local delivery can overtake one still
                // on its way through Redis); each connection gets each exactly once.
                for (WsClient c : List.of(onA, onB, onB2)) {
                    assertEquals(List.of("both 1", "both 2"), sortedFrames(c, 2));
                }
                assertEquals(0, delivered(a, "nobody-anywhere", "lost"));
                assertEquals(0, delivered(b, "nobody-anywhere", "lost"));
                // A node never delivers its own push twice (once locally, once back from Redis).
                assertEquals(1 + 1, delivered(a, "x-user", "marker"));
                expectMessage(onA, "marker");
                expectMessage(onB, "marker");
                expectMessage(onB2, "marker");
                for (WsClient c : List.of(onA, onB, onB2)) assertEquals(List.of(), c.drain());
            }
            // A's user left: A unsubscribes again. A learns Redis's confirmation a moment after Redis counts it, and
            // meanwhile may count one node too few: poll (each try reaches B).
            awaitNodesHolding(redis, "x-user", 1);
            Poll.untilEquals("delivered once A settled", DEADLINE, 1, () -> delivered(a, "x-user", "after"));
            List<String> afters = new ArrayList<>();
            afters.add(onB.next(DEADLINE));
            afters.addAll(onB.drain());
            assertTrue(afters.stream().allMatch("after"::equals), "B got " + afters);
        }
        awaitNodesHolding(redis, "x-user", 0);
        assertEquals(0, delivered(a, "x-user", "gone"));
    }

    @Test
    void manyUsersOverBothNodesReceiveExactlyTheirMessages() throws Exception {
        int users = 30;
        int perUser = 6;
        Map<WsClient, String> owner = new ConcurrentHashMap<>();
        List<WsClient> all = new ArrayList<>();
        ExecutorService pushers = Executors.newFixedThreadPool(4);
        try {
            // user i: on A only (i % 3 == 0), on B only (1), on both (2)
            for (int i = 0; i < users; i++) {
                String u = "many-" + i;
                String token = Tokens.valid(u);
                if (i % 3 != 1) {
                    WsClient c = Awaiting.registered(a, u, token, null);
                    all.add(c);
                    owner.put(c, u);
                }
                if (i % 3 != 0) {
                    WsClient c = Awaiting.registered(b, u, token, null);
                    all.add(c);
                    owner.put(c, u);
                }
            }
            for (int i = 0; i < users; i++) awaitNodesHolding(redis, "many-" + i, i % 3 == 2 ? 2 : 1);

            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < users; i++) {
                String u = "many-" + i;
                int connections = i % 3 == 2 ? 2 : 1;
                done.add(pushers.submit(() -> {
                    for (int k = 0; k < perUser; k++) {
                        TestServer via = k % 2 == 0 ? a : b;
                        // each node holds at most one connection of a user here, so delivered = connections
                        assertEquals(connections, delivered(via, u, u + "/" + k), u + " message " + k);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get();
            // Markers from both nodes: each travels behind that node's earlier pushes on every path.
            for (int i = 0; i < users; i++) {
                delivered(a, "many-" + i, "end-A");
                delivered(b, "many-" + i, "end-B");
            }
            for (WsClient c : all) {
                String u = owner.get(c);
                List<String> got = new ArrayList<>();
                Set<String> markers = new HashSet<>();
                while (markers.size() < 2) {
                    String f = c.next(DEADLINE);
                    assertNotNull(f, u + " is missing frames; got " + got);
                    if (f.startsWith("end-")) assertTrue(markers.add(f), u + " got " + f + " twice");
                    else got.add(f);
                }
                got.addAll(c.drain());
                List<String> expected = new ArrayList<>();
                for (int k = 0; k < perUser; k++) expected.add(u + "/" + k);
                Collections.sort(got);
                assertEquals(expected, got, "every frame " + u + " received");
            }
        } finally {
            pushers.shutdownNow();
            all.forEach(WsClient::close);
        }
    }

    // ---- operator disconnect ----

    @Test
    void operatorDisconnectOnANodeClosesTheUserOnTheOtherAndRevokesEverywhere() throws Exception {
        String token = Tokens.valid("leaver");
        WsClient witness = Awaiting.registered(b, "witness", Tokens.valid("witness"), null);
        try (WsClient onB = Awaiting.registered(b, "leaver", token, null)) {
            awaitNodesHolding(redis, "leaver", 1);
            awaitNodesHolding(redis, "witness", 1);
            HttpResponse<String> r = Http.post(a.http("admin/disconnect"), a.adminKey(), "{\"userId\":\"leaver\"}");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(1, Http.intField(r, "disconnected"), "no connection on A + node B that held the user");
            assertEquals(OPERATOR, onB.awaitClose(DEADLINE));
            Awaiting.userConnections(b, "leaver", 0);
        }
        // The old token is refused on both nodes.
        for (TestServer s : List.of(a, b)) {
            try (WsClient again = WsClient.register(s.ws(), token, null)) {
                assertEquals(new WsClient.Close(1008, "token revoked"), again.awaitClose(DEADLINE));
            }
        }

        // A revocation also reaches a node that does not hold the user: "absent" is connected nowhere.
        String absentToken = Tokens.valid("absent");
        HttpResponse<String> r = Http.post(a.http("admin/disconnect"), a.adminKey(), "{\"userId\":\"absent\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(0, Http.intField(r, "disconnected"));
        // B applies Redis messages in order: once a later push from A reached B, so did the disconnect.
        assertEquals(1, delivered(a, "witness", "after the revocation"));
        expectMessage(witness, "after the revocation");
        try (WsClient again = WsClient.register(b.ws(), absentToken, null)) {
            assertEquals(new WsClient.Close(1008, "token revoked"), again.awaitClose(DEADLINE));
        }
        witness.close();
    }

    // ---- faults ----

    /** Collects the broker's own warnings (JUL's LogManager is shared by every web application in the JVM). */
    static final class Warnings extends Handler {
        final List<String> seen = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue()) seen.add(r.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    @Test
    @Order(Integer.MAX_VALUE - 1)
    void redisThatHangsCostsAPushAtMostTheTimeout() throws Exception {
        try (WsClient onB = Awaiting.registered(b, "slow-b", Tokens.valid("slow-b"), null);
             WsClient onA = Awaiting.registered(a, "slow-a", Tokens.valid("slow-a"), null)) {
            awaitNodesHolding(redis, "slow-b", 1);
            awaitNodesHolding(redis, "slow-a", 1);
            double errorsBefore = brokerErrors(a);
            redis.pause();
            try {
                // Redis accepts the bytes and answers nothing: the push answers anyway, with the local count.
                assertEquals(0, delivered(a, "slow-b", "stuck"));
                assertEquals(1, delivered(a, "slow-a", "local while redis hangs"));
                expectMessage(onA, "local while redis hangs");
                assertTrue(brokerErrors(a) >= errorsBefore + 2);
                // Unanswered PINGs take the link down: degraded, and pushes stop waiting at all.
                Poll.untilEquals("A degraded", DEADLINE, "degraded", () -> status(a));
                Poll.untilEquals("B degraded", DEADLINE, "degraded", () -> status(b));
            } finally {
                redis.resume();
            }
            Poll.untilEquals("A ready", DEADLINE, "ready", () -> status(a));
            Poll.untilEquals("B ready", DEADLINE, "ready", () -> status(b));
            awaitNodesHolding(redis, "slow-b", 1);
            assertEquals(1, delivered(a, "slow-b", "after"));
            // "stuck" may still have been executed by Redis once thawed; nothing else may arrive.
            List<String> got = new ArrayList<>();
            do {
                String f = onB.next(DEADLINE);
                assertNotNull(f, "B got " + got);
                got.add(f);
            } while (!got.contains("after"));
            got.remove("stuck");
            assertEquals(List.of("after"), got);
        }
    }

    /** Runs last: it stops the shared Redis (and starts it again on the same port). */
    @Test
    @Order(Integer.MAX_VALUE)
    void redisOutageKeepsLocalDeliveryAndRecoversWithoutRestart() throws Exception {
        RedisProcess r2 = redis;
        TestServer c = a;
        TestServer d = b;
        TestServer e = null;
        List<WsClient> clients = new ArrayList<>();
        // The broker package: RedisBroker, and RedisLink which reports the link's state changes.
        Logger brokerLog = Logger.getLogger(RedisBroker.class.getPackageName());
        Warnings warnings = new Warnings();
        try {
            assertEquals("ready", status(c));
            assertEquals("ready", status(d));
            WsClient o1 = Awaiting.registered(d, "o1", Tokens.valid("o1"), null);
            WsClient o2 = Awaiting.registered(c, "o2", Tokens.valid("o2"), null);
            WsClient o5 = Awaiting.registered(d, "o5", Tokens.valid("o5"), null);
            clients.addAll(List.of(o1, o2, o5));
            awaitNodesHolding(r2, "o1", 1);
            awaitNodesHolding(r2, "o5", 1);
            assertEquals(1, delivered(c, "o1", "before"));
            expectMessage(o1, "before");

            brokerLog.addHandler(warnings);
            r2.stop();
            final TestServer cc = c, dd = d;
            Poll.untilEquals("C degraded", DEADLINE, "degraded", () -> status(cc));
            Poll.untilEquals("D degraded", DEADLINE, "degraded", () -> status(dd));
            String reason = Http.stringField(Http.get(c.http("health"), c.adminKey()).body(), "reason");
            assertTrue(reason != null && reason.contains("redis"), reason);
            assertTrue(brokerUp(c, 0), "wspush_broker_up 0 while Redis is down");
            double errorsBefore = brokerErrors(c);

            // Local delivery goes on; pushes for users elsewhere answer (with the local count) instead of hanging.
            for (int i = 0; i < 20; i++) {
                assertEquals(1, delivered(c, "o2", "local " + i));
                assertEquals(0, delivered(c, "o1", "lost " + i));
            }
            for (int i = 0; i < 20; i++) expectMessage(o2, "local " + i);
            assertTrue(brokerErrors(c) >= errorsBefore + 40, "every push that could not cross nodes is counted");
            // An operator disconnect made while Redis is down is sent once Redis is back.
            HttpResponse<String> dr = Http.post(c.http("admin/disconnect"), c.adminKey(), "{\"userId\":\"o5\"}");
            assertEquals(200, dr.statusCode(), dr.body());
            assertEquals(0, Http.intField(dr, "disconnected"));

            // A node started while Redis is down works locally, degraded.
            e = node(r2);
            assertEquals("degraded", status(e));
            WsClient o3 = Awaiting.registered(e, "o3", Tokens.valid("o3"), null);
            // A user arriving during the outage on a node that was connected before.
            WsClient o4 = Awaiting.registered(d, "o4", Tokens.valid("o4"), null);
            clients.addAll(List.of(o3, o4));
            assertEquals(1, delivered(e, "o3", "local on E"));
            expectMessage(o3, "local on E");

            // Logged once per node and state change, not once per push or retry.
            assertEquals(3, warnings.seen.size(), "broker warnings: " + warnings.seen);

            r2.restart();
            final TestServer ee = e;
            for (TestServer s : List.of(c, d, e)) Poll.untilEquals("ready again", DEADLINE, "ready", () -> status(s));
            assertTrue(brokerUp(c, 1) && brokerUp(e, 1));
            for (String u : List.of("o1", "o2", "o3", "o4")) awaitNodesHolding(r2, u, 1);

            assertEquals(1, delivered(c, "o1", "resumed C->D"));
            expectMessage(o1, "resumed C->D");
            assertEquals(1, delivered(c, "o3", "resumed C->E"));
            expectMessage(o3, "resumed C->E");
            assertEquals(1, delivered(ee, "o4", "resumed E->D"));
            expectMessage(o4, "resumed E->D");
            assertEquals(1, delivered(d, "o2", "resumed D->C"));
            expectMessage(o2, "resumed D->C");
            assertEquals(OPERATOR, o5.awaitClose(DEADLINE), "the disconnect queued during the outage arrived");
            assertEquals(List.of(), o1.drain(), "pushes during the outage are not replayed");
        } finally {
            brokerLog.removeHandler(warnings);
            clients.forEach(WsClient::close);
            Closing.closeAll(e);
        }
    }
}
