package io.wspush.broker;

import io.wspush.testing.Closing;
import io.wspush.testing.Awaiting;
import io.wspush.testing.Http;
import io.wspush.testing.Poll;
import io.wspush.testing.RedisCluster;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two wspush nodes ({@code wspush.broker=redis-cluster}) over a real Redis Cluster of 3 masters and 3 replicas:
 * users on every shard get every push across nodes by sharded pub/sub, operator disconnects reach every node, and a
 * master killed with SIGKILL while pushes flow is replaced by its replica without restarting the nodes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisClusterIT {

    static final Duration DEADLINE = Duration.ofSeconds(15);
    /** Failure detection (node timeout) + replica election + this node's topology refresh, with a wide margin. */
    static final Duration FAILOVER_BOUND = Duration.ofSeconds(20);

    /** The ACL docs/SCALE-OUT.md gives a wspush node: both test nodes connect as this user. */
    static final String[] ACL_USER = {"--user", "wspush", "on", ">wspush-test-password", "resetchannels", "&wspush:*",
            "resetkeys", "~wspush:*", "-@all", "+spublish", "+ssubscribe", "+sunsubscribe", "+publish", "+subscribe",
            "+unsubscribe", "+ping", "+cluster|slots", "+cluster|nodes", "+cluster|myid", "+pubsub|shardnumsub", "+info",
            "+client|setname", "+evalsha", "+eval", "+get", "+set", "+mget", "+scan", "+hget", "+hset", "+hincrby", "+del",
            "+xadd", "+xrange", "+pexpire", "+asking",
            "+hgetall", "+hdel", "+zadd", "+zrem", "+zrangebyscore", "+zremrangebyscore", "+time"}; // the last line: presence

    /**
     * Every Redis node's extra arguments: the ACL user, and {@code cluster-require-full-coverage no} (see
     * docs/SCALE-OUT.md): without it, while a dead master's slots are uncovered, every shard refuses keyed commands
     * (CLUSTERDOWN), i.e. the history script, so pushes to users on healthy shards would not cross nodes either.
     */
    static final String[] REDIS_ARGS = java.util.stream.Stream.concat(java.util.Arrays.stream(ACL_USER),
            java.util.stream.Stream.of("--cluster-require-full-coverage", "no")).toArray(String[]::new);

    static RedisCluster cluster;
    static TestServer a;
    static TestServer b;
    /** Master port → two users whose channel slots that master serves. */
    static final Map<Integer, List<String>> usersByMaster = new LinkedHashMap<>();

    @BeforeAll
    static void start() {
        cluster = RedisCluster.start(3, REDIS_ARGS);
        for (int i = 0; usersByMaster.values().stream().mapToInt(List::size).sum() < 6 && i < 1000; i++) {
            String user = "cu-" + i;
            int master = cluster.masterOf(cluster.slot(RedisBroker.userChannel(user)));
            List<String> users = usersByMaster.computeIfAbsent(master, m -> new ArrayList<>());
            if (users.size() < 2) users.add(user);
        }
        assertEquals(3, usersByMaster.size(), "users on every master: " + usersByMaster);
        a = node();
        b = node();
    }

    @AfterAll
    static void stop() {
        Closing.closeAll(a, b, cluster);
    }

    static TestServer node() {
        String seeds = cluster.seeds().replace("redis://", "redis://wspush:wspush-test-password@");
        // The failover test asserts that every push to a user on a healthy shard counted the other node: a push waits
        // for that count up to the publish budget, which a first script run (EVALSHA, NOSCRIPT, EVAL) may exceed
        // on this shared machine at the default 50 ms.
        return TestServer.builder().set("broker", "redis-cluster").set("redis.uri", seeds)
                .set("redis.timeout", "0.5").set("redis.publish-budget", "0.5").start();
    }

    /** Sharded subscribers of the user's channel on the master serving it (SHARDNUMSUB counts that node only). */
    static long shardSubscribers(String user) {
        String channel = RedisBroker.userChannel(user);
        int master = cluster.masterOf(cluster.slot(channel));
        List<?> reply = (List<?>) cluster.command(master, "PUBSUB", "SHARDNUMSUB", channel);
        return (Long) reply.get(1);
    }

    static void awaitNodesHolding(String user, long nodes) {
        Poll.untilEquals("nodes subscribed for " + user, DEADLINE, nodes, () -> shardSubscribers(user));
    }

    static long gauge(TestServer s, String name) {
        var m = Pattern.compile("(?m)^" + name + "(\\{[^}]*})? (\\S+)$").matcher(RedisBrokerIT.metrics(s));
        assertTrue(m.find(), name + " in /metrics");
        return (long) Double.parseDouble(m.group(2));
    }

    /** When the first push that crossed nodes after an outage (a local-only answer after the kill) was answered. */
    static long resumedAt(ConcurrentLinkedQueue<long[]> answers, long killedAt) {
        long firstLocalOnly = answers.stream().filter(x -> x[2] > killedAt && x[1] == 1).mapToLong(x -> x[2]).min()
                .orElse(Long.MAX_VALUE);
        return answers.stream().filter(x -> x[2] > firstLocalOnly && x[1] == 2).mapToLong(x -> x[2]).min().orElse(0);
    }

    static List<String> allUsers() {
        return usersByMaster.values().stream().flatMap(List::stream).toList();
    }

    /** No cluster reachable at start: the node starts anyway, degraded, and serves its own connections. */
    @Test
    @Order(0)
    void aNodeWhoseClusterIsUnreachableStartsDegradedAndDeliversLocally() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        try (TestServer lone = TestServer.builder().set("broker", "redis-cluster")
                .set("redis.uri", "redis://127.0.0.1:" + closed).set("redis.timeout", "0.5").start()) {
            String health = Http.get(lone.http("health"), lone.adminKey()).body();
            assertEquals("degraded", Http.stringField(health, "status"), health);
            assertTrue(Http.stringField(health, "reason").startsWith("redis cluster unreachable at 127.0.0.1:" + closed),
                    health);
            try (WsClient c = Awaiting.registered(lone, "lonely", Tokens.valid("lonely"), null)) {
                assertEquals(1, RedisBrokerIT.delivered(lone, "lonely", "local"));
                RedisBrokerIT.expectMessage(c, "local");
            }
        }
    }

    /** A broadcast crosses nodes by one classic PUBLISH on the control channel (allowed by the documented ACL). */
    @Test
    @Order(1)
    void broadcastReachesEveryMatchingConnectionOnBothNodes() throws Exception {
        try (WsClient onA = Awaiting.registered(a, "cb-1", Tokens.valid("cb-1"), "cb");
             WsClient onB = Awaiting.registered(b, "cb-2", Tokens.valid("cb-2"), "cb");
             WsClient other = Awaiting.registered(b, "cb-3", Tokens.valid("cb-3"), "not-cb")) {
            var r = Http.post(a.http("push"), TestServer.PUSH_KEY, "{\"broadcast\":true,\"event\":\"cb\",\"message\":\"wide\"}");
            assertEquals(200, r.statusCode(), r.body());
            // This node's connections only: PUBLISH's count in a cluster covers one cluster node's subscribers.
            assertEquals(1, Http.intField(r, "delivered"), r.body());
            assertEquals("wide", onA.next());
            assertEquals("wide", onB.next());
            assertEquals(1, RedisBrokerIT.delivered(b, "cb-3", "marker"));
            assertEquals("marker", other.next());
            assertEquals(1, RedisBrokerIT.delivered(a, "cb-1", "marker-a"));
            assertEquals("marker-a", onA.next());
        }
    }

    @Test
    @Order(1)
    void usersOnEveryShardGetPushesAcrossNodesBySharedPubSub() throws Exception {
        assertEquals("ready", RedisBrokerIT.status(a));
        assertEquals(3, gauge(a, "wspush_broker_shards"));
        assertEquals(0, gauge(a, "wspush_broker_shards_down"));
        Map<String, WsClient> onB = new LinkedHashMap<>();
        try {
            for (String u : allUsers()) onB.put(u, Awaiting.registered(b, u, Tokens.valid(u), null));
            for (String u : allUsers()) awaitNodesHolding(u, 1);
            for (String u : allUsers()) {
                // Sharded only: no classic subscription anywhere carries a user's pushes.
                for (int port : cluster.masters()) {
                    List<?> numsub = (List<?>) cluster.command(port, "PUBSUB", "NUMSUB", RedisBroker.userChannel(u));
                    assertEquals(0L, numsub.get(1), "classic subscribers of " + u + " on " + port);
                }
                assertEquals(1, RedisBrokerIT.delivered(a, u, "to " + u), "via A: node B holds " + u);
                RedisBrokerIT.expectMessage(onB.get(u), "to " + u);
                assertEquals(1, RedisBrokerIT.delivered(b, u, "local " + u), "via B: its own connection");
                RedisBrokerIT.expectMessage(onB.get(u), "local " + u);
            }
            // A push touches one shard: the owning master ran SPUBLISH, the others did not.
            String u = allUsers().get(0);
            int owner = cluster.masterOf(cluster.slot(RedisBroker.userChannel(u)));
            Map<Integer, Long> before = spublishCalls();
            for (int i = 0; i < 5; i++) assertEquals(1, RedisBrokerIT.delivered(a, u, "count " + i));
            Map<Integer, Long> after = spublishCalls();
            for (int port : cluster.masters()) {
                assertEquals(port == owner ? 5L : 0L, after.get(port) - before.get(port), "SPUBLISH calls on " + port);
            }
            for (int i = 0; i < 5; i++) RedisBrokerIT.expectMessage(onB.get(u), "count " + i);
            for (WsClient c : onB.values()) assertEquals(List.of(), c.drain());
        } finally {
            Closing.closeAll(onB.values().toArray(new AutoCloseable[0]));
        }
        for (String u : allUsers()) awaitNodesHolding(u, 0);
        assertEquals(0, RedisBrokerIT.delivered(a, allUsers().get(0), "gone"));
        assertNoAclDenials();
    }

    /** Nothing the nodes sent was refused by the ACL (ACL LOG lists every denial, on every live node). */
    static void assertNoAclDenials() {
        assertNoAclDenials(cluster);
    }

    static void assertNoAclDenials(RedisCluster cluster) {
        List<String> denied = new ArrayList<>();
        for (int port : cluster.ports()) {
            if (!cluster.isRunning(port)) continue;
            for (Object entry : (List<?>) cluster.command(port, "ACL", "LOG")) {
                List<?> e = (List<?>) entry;
                Map<Object, Object> fields = new LinkedHashMap<>();
                for (int i = 0; i + 1 < e.size(); i += 2) fields.put(e.get(i), e.get(i + 1));
                denied.add(port + ": " + fields.get("reason") + " " + fields.get("object") + " by " + fields.get("username"));
            }
        }
        assertEquals(List.of(), denied, "commands the ACL of docs/SCALE-OUT.md refused");
    }

    static Map<Integer, Long> spublishCalls() {
        return spublishCalls(cluster);
    }

    static Map<Integer, Long> spublishCalls(RedisCluster cluster) {
        Map<Integer, Long> calls = new LinkedHashMap<>();
        for (int port : cluster.masters()) {
            String info = (String) cluster.command(port, "INFO", "commandstats");
            var m = Pattern.compile("(?m)^cmdstat_spublish:calls=(\\d+)").matcher(info);
            calls.put(port, m.find() ? Long.parseLong(m.group(1)) : 0L);
        }
        return calls;
    }

    @Test
    @Order(2)
    void operatorDisconnectReachesTheOtherNode() {
        String u = allUsers().get(1);
        try (WsClient onB = Awaiting.registered(b, u, Tokens.valid(u), null)) {
            awaitNodesHolding(u, 1);
            HttpResponse<String> r = Http.post(a.http("admin/disconnect"), a.adminKey(), "{\"userId\":\"" + u + "\"}");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(1, Http.intField(r, "disconnected"), "no connection on A + node B that held the user");
            assertEquals(RedisBrokerIT.OPERATOR, onB.awaitClose(DEADLINE));
        }
    }

    /**
     * SIGKILL to the master of one shard while A pushes to a user of that shard held on B (and on A): A keeps
     * delivering locally, both nodes say degraded, other shards keep working, and pushes reach B again once the
     * replica took over, with no node restarted. Prints the measured time from the kill to the first push that
     * crossed nodes again.
     */
    /**
     * Resharding while pushes flow: the slot of a user held on B moves to another master. Redis drops the sharded
     * subscription (it answers for the slot's new owner now); B subscribes again there, and pushes through A reach
     * B again within a bound. Pushes in between are answered with delivered 0 (at most once: history recovers
     * them), never lost silently with a count that says otherwise.
     */
    @Test
    @Order(3)
    void aSlotMovingWhilePushesFlowFollowsItsUser() throws Exception {
        List<Integer> masters = List.copyOf(usersByMaster.keySet());
        String user = usersByMaster.get(masters.get(1)).get(1);
        int slot = cluster.slot(RedisBroker.userChannel(user));
        int from = cluster.masterOf(slot);
        int to = masters.get(2);
        try (WsClient onB = Awaiting.registered(b, user, Tokens.valid(user), null)) {
            awaitNodesHolding(user, 1);
            AtomicBoolean pushing = new AtomicBoolean(true);
            ConcurrentLinkedQueue<long[]> answers = new ConcurrentLinkedQueue<>(); // {seq, delivered, nanoTime}
            ConcurrentLinkedQueue<Throwable> pusherErrors = new ConcurrentLinkedQueue<>();
            Thread pusher = new Thread(() -> {
                long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                try {
                    for (int seq = 0; pushing.get() && System.nanoTime() < end; seq++) {
                        int d = RedisBrokerIT.delivered(a, user, "r" + seq);
                        answers.add(new long[] {seq, d, System.nanoTime()});
                        Thread.sleep(10); // paces the load loop; nothing waits on it
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Throwable e) {
                    pusherErrors.add(e);
                }
            }, "cluster-it-resharding-pusher");
            pusher.start();
            try {
                Poll.until("pushes crossing nodes before the move", DEADLINE, () -> answers.size() > 10);
                long movedAt = System.nanoTime();
                cluster.moveSlot(slot, to);
                long settledAt = System.nanoTime();
                Poll.until("B subscribed on the slot's new owner", DEADLINE, () -> shardSubscribers(user) == 1);
                Poll.until("pushes crossing nodes after the move", DEADLINE,
                        () -> answers.stream().anyMatch(x -> x[2] > settledAt && x[1] == 1));
                int before = answers.size();
                Poll.until("more pushes after the move", DEADLINE, () -> answers.size() > before + 20);
                pushing.set(false);
                pusher.join(10_000);
                assertEquals(List.of(), List.copyOf(pusherErrors));

                List<long[]> all = List.copyOf(answers);
                long missed = all.stream().filter(x -> x[1] == 0).count();
                long lastMissed = all.stream().filter(x -> x[1] == 0).mapToLong(x -> x[2]).max().orElse(movedAt);
                System.out.println("RedisClusterIT: slot " + slot + " moved " + from + " -> " + to + "; " + missed
                        + " of " + all.size() + " pushes answered delivered=0, the last "
                        + Duration.ofNanos(Math.max(0, lastMissed - movedAt)).toMillis() + " ms after the move began");
                assertTrue(all.stream().allMatch(x -> x[1] == 0 || x[1] == 1), "delivered is 0 or 1");
                // Whatever was answered delivered=1 reached B, in order; the rest is what the answers said.
                List<String> expected = all.stream().filter(x -> x[1] == 1).map(x -> "r" + x[0]).toList();
                List<String> got = new ArrayList<>();
                for (int i = 0; i < expected.size(); i++) got.add(onB.next(DEADLINE));
                got.addAll(onB.drain());
                assertEquals(expected, got.stream().filter(expected::contains).toList());
                assertTrue(got.containsAll(expected), "every push answered delivered=1 reached B");
            } finally {
                pushing.set(false);
                pusher.join(10_000);
            }
            assertEquals(0L, ((List<?>) cluster.command(from, "PUBSUB", "SHARDNUMSUB",
                    RedisBroker.userChannel(user))).get(1), "no subscription left on the old owner");
            assertEquals(1, RedisBrokerIT.delivered(a, user, "after the move"));
            RedisBrokerIT.expectMessage(onB, "after the move");
        }
        assertNoAclDenials();
    }

    @Test
    @Order(4)
    void aKilledMasterIsReplacedByItsReplicaAndPushesResume() throws Exception {
        int victim = usersByMaster.keySet().iterator().next();
        String hit = usersByMaster.get(victim).get(0);
        String spared = usersByMaster.entrySet().stream().filter(e -> e.getKey() != victim).findFirst()
                .orElseThrow().getValue().get(0);
        try (WsClient hitOnB = Awaiting.registered(b, hit, Tokens.valid(hit), null);
             WsClient hitOnA = Awaiting.registered(a, hit, Tokens.valid(hit), null);
             WsClient sparedOnB = Awaiting.registered(b, spared, Tokens.valid(spared), null)) {
            awaitNodesHolding(hit, 2);
            awaitNodesHolding(spared, 1);

            // Pushes flow through A the whole time, to the hit user and to one on another shard, each answer
            // recorded as {seq, delivered for hit, nanoTime, delivered for spared}.
            AtomicBoolean pushing = new AtomicBoolean(true);
            ConcurrentLinkedQueue<long[]> answers = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Throwable> pusherErrors = new ConcurrentLinkedQueue<>();
            Thread pusher = new Thread(() -> {
                long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                try {
                    for (int seq = 0; pushing.get() && System.nanoTime() < end; seq++) {
                        int d = RedisBrokerIT.delivered(a, hit, "p" + seq);
                        long at = System.nanoTime();
                        int s = RedisBrokerIT.delivered(a, spared, "s" + seq);
                        answers.add(new long[] {seq, d, at, s, System.nanoTime() - at});
                        Thread.sleep(20); // paces the load loop; nothing waits on it
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Throwable e) {
                    pusherErrors.add(e);
                }
            }, "cluster-it-pusher");
            pusher.start();
            try {
                Poll.until("pushes crossing nodes before the kill", DEADLINE,
                        () -> answers.stream().anyMatch(x -> x[1] == 2));
                long killedAt = System.nanoTime();
                cluster.kill(victim);

                // Degraded while the shard is down, naming it, in /health and in the metrics (a failover takes
                // more than the node timeout, the shards are checked every second: the window is wide enough).
                boolean[] seen = new boolean[2];
                Poll.until("A reports the shard down in /health and /metrics", DEADLINE, () -> {
                    String health = Http.get(a.http("health"), a.adminKey()).body();
                    if (health.contains("\"degraded\"") && health.contains(":" + victim + " ")) seen[0] = true;
                    if (gauge(a, "wspush_broker_shards_down") == 1) seen[1] = true;
                    return seen[0] && seen[1];
                });
                Poll.until("a push answered with local delivery only during the outage", DEADLINE,
                        () -> answers.stream().anyMatch(x -> x[2] > killedAt && x[1] == 1));

                // Resumed: a push after the outage crossed to B again.
                Poll.until("pushes crossing nodes again after the failover", FAILOVER_BOUND,
                        () -> resumedAt(answers, killedAt) > 0);
                long resumedAt = resumedAt(answers, killedAt);
                System.out.println("RedisClusterIT: pushes to the killed shard's user crossed nodes again "
                        + Duration.ofNanos(resumedAt - killedAt).toMillis() + " ms after SIGKILL to its master; the "
                        + "slowest push to the user on a healthy shard took " + Duration.ofNanos(answers.stream()
                        .mapToLong(x -> x[4]).max().orElse(0)).toMillis() + " ms (HTTP round trip)");
                pushing.set(false);
                pusher.join(10_000);
                assertEquals(List.of(), List.copyOf(pusherErrors));

                // Every push reached A's own connection, outage or not, in order.
                int sent = answers.size();
                for (int i = 0; i < sent; i++) assertEquals("p" + i, hitOnA.next(DEADLINE), "local delivery in order");
                List<String> onB = hitOnB.drain();
                assertTrue(onB.size() < sent, "B missed the pushes of the outage: " + onB.size() + " of " + sent);
                assertTrue(onB.contains("p" + (sent - 1)), "B got the pushes after the failover: " + onB);
                // The other shards never noticed: every push to the spared user crossed nodes.
                List<Long> sparedAnswers = answers.stream().map(x -> x[3]).distinct().toList();
                assertEquals(List.of(1L), sparedAnswers, "delivered for the user on a healthy shard");
                for (int i = 0; i < sent; i++) assertEquals("s" + i, sparedOnB.next(DEADLINE));
            } finally {
                pushing.set(false);
                pusher.join(10_000);
            }

            Poll.until("cluster ok after the failover", DEADLINE, cluster::isOk);
            Poll.untilEquals("A ready after the failover", DEADLINE, "ready", () -> RedisBrokerIT.status(a));
            Poll.untilEquals("B ready after the failover", DEADLINE, "ready", () -> RedisBrokerIT.status(b));
            assertEquals(0, gauge(a, "wspush_broker_shards_down"));
            assertTrue(!cluster.masters().contains(victim), "a replica took the killed master's slots");

            // Both users get pushes across nodes again, the hit user's subscriptions now on the new master.
            awaitNodesHolding(hit, 2);
            assertEquals(2, RedisBrokerIT.delivered(a, hit, "after"));
            RedisBrokerIT.expectMessage(hitOnB, "after");
            RedisBrokerIT.expectMessage(hitOnA, "after");
            assertEquals(1, RedisBrokerIT.delivered(a, spared, "spared after"));
            RedisBrokerIT.expectMessage(sparedOnB, "spared after");
            assertNoAclDenials();
        }
    }

    /**
     * Revocations are durable in cluster mode: each is stored on its user's shard (one key per user, the user's hash
     * tag), and a node started later loads them from every master (SCAN walks all of them), so it refuses the
     * revoked tokens of users on every shard, also after the failover above.
     */
    @Test
    @Order(5)
    void revocationsAreStoredOnTheUsersShardsAndANodeStartedLaterLoadsThemFromEveryMaster() throws Exception {
        Map<String, String> tokens = new LinkedHashMap<>();
        for (List<String> users : usersByMaster.values()) tokens.put(users.get(0), Tokens.valid(users.get(0)));
        java.util.Set<Integer> holding = new java.util.TreeSet<>();
        for (String u : tokens.keySet()) {
            HttpResponse<String> r = Http.post(a.http("admin/disconnect"), a.adminKey(), "{\"userId\":\"" + u + "\"}");
            assertEquals(200, r.statusCode(), r.body());
            String key = RedisRevocations.key(u);
            int owner = cluster.masterOf(cluster.slot(key));
            assertTrue(cluster.command(owner, "GET", key) != null, "revocation of " + u + " stored on " + owner);
            holding.add(owner);
        }
        assertEquals(new java.util.TreeSet<>(cluster.masters()), holding, "revocations on every shard");
        try (TestServer later = node()) {
            assertEquals("ready", RedisBrokerIT.status(later), "revocations loaded");
            for (Map.Entry<String, String> t : tokens.entrySet()) {
                try (WsClient again = WsClient.register(later.ws(), t.getValue(), null)) {
                    assertEquals(new WsClient.Close(1008, "token revoked"), again.awaitClose(DEADLINE),
                            "old token of " + t.getKey() + " on a node started later");
                }
            }
            // A token issued after the revocation is accepted there.
            String u = tokens.keySet().iterator().next();
            try (WsClient fresh = Awaiting.registered(later, u, FailClosedIT.issuedIn(u, 2), null)) {
                assertEquals(1, RedisBrokerIT.delivered(later, u, "welcome back"));
                RedisBrokerIT.expectMessage(fresh, "welcome back");
            }
        }
        assertNoAclDenials();
    }
}
