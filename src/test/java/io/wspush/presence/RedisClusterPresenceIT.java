package io.wspush.presence;

import io.wspush.testing.Http;
import io.wspush.testing.Poll;
import io.wspush.testing.RedisCluster;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Presence over a real three-master Redis Cluster: users on every shard, read from either node in one call, and
 * a node that stops leaves at once. Both nodes connect as the ACL user of docs/SCALE-OUT.md, presence included.
 */
class RedisClusterPresenceIT {

    /** docs/SCALE-OUT.md's cluster ACL. */
    static final String[] REDIS_ARGS = {"--user", "wspush", "on", ">wspush-test-password", "resetchannels", "&wspush:*",
            "resetkeys", "~wspush:*", "-@all", "+spublish", "+ssubscribe", "+sunsubscribe", "+publish", "+subscribe",
            "+unsubscribe", "+ping", "+cluster|slots", "+cluster|nodes", "+cluster|myid", "+pubsub|shardnumsub", "+info",
            "+client|setname", "+asking", "+evalsha", "+eval", "+get", "+set", "+mget", "+scan", "+hget", "+hset",
            "+hincrby", "+del", "+xadd", "+xrange", "+pexpire", "+hgetall", "+hdel", "+zadd", "+zrem", "+zrangebyscore",
            "+zremrangebyscore", "+time", "--cluster-require-full-coverage", "no"};

    static TestServer node(RedisCluster cluster) {
        String seeds = cluster.seeds().replace("redis://", "redis://wspush:wspush-test-password@");
        return TestServer.builder().set("broker", "redis-cluster").set("redis.uri", seeds).set("redis.timeout", "0.5")
                .set("presence.ttl", 2).start();
    }

    static List<Integer> counts(URI node, List<String> users) {
        HttpResponse<String> r = Http.post(node.resolve("presence"), TestServer.PUSH_KEY, PresenceIT.body(users));
        assertEquals(200, r.statusCode(), r.body());
        return PresenceIT.json(r.body()).getJsonArray("users").stream()
                .map(u -> u.asJsonObject().getInt("connections")).toList();
    }

    @Test
    void usersOnEveryShardCountFromEitherNodeAndAStoppedNodeLeavesAtOnce() throws Exception {
        List<WsClient> clients = new ArrayList<>();
        try (RedisCluster cluster = RedisCluster.start(3, REDIS_ARGS)) {
            // Two users per master (by their presence key's slot).
            Map<Integer, List<String>> byMaster = new LinkedHashMap<>();
            for (int i = 0; byMaster.values().stream().mapToInt(List::size).sum() < 6 && i < 1000; i++) {
                String user = "pu-" + i;
                List<String> users = byMaster.computeIfAbsent(cluster.masterOf(cluster.slot("wspush:presence:{" + user + "}")),
                        m -> new ArrayList<>());
                if (users.size() < 2) users.add(user);
            }
            assertEquals(3, byMaster.size(), "users on every master: " + byMaster);
            List<String> users = byMaster.values().stream().flatMap(List::stream).toList();
            try (TestServer a = node(cluster); TestServer b = node(cluster)) {
                // Each user: one connection on A; the first of each pair also one on B.
                List<Integer> expected = new ArrayList<>();
                for (int i = 0; i < users.size(); i++) {
                    clients.add(WsClient.register(a.ws(), Tokens.valid(users.get(i)), null));
                    if (i % 2 == 0) clients.add(WsClient.register(b.ws(), Tokens.valid(users.get(i)), null));
                    expected.add(i % 2 == 0 ? 2 : 1);
                }
                List<String> asked = Stream.concat(users.stream(), Stream.of("pu-nobody")).toList();
                List<Integer> want = Stream.concat(expected.stream(), Stream.of(0)).toList();
                for (TestServer node : List.of(a, b)) {
                    Poll.untilEquals("counts asked at " + node.base(), Duration.ofSeconds(15), want, () -> counts(node.base(), asked));
                }
                b.close(); // a graceful stop: B removes itself from the live nodes before its connections count 0
                List<Integer> aOnly = Stream.concat(users.stream().map(u -> 1), Stream.of(0)).toList();
                assertEquals(aOnly, counts(a.base(), asked), "B's connections stopped counting when it stopped");
            }
            // Nothing the nodes did was refused by the ACL.
            for (int port : cluster.masters()) {
                assertEquals(List.of(), cluster.command(port, "ACL", "LOG"), "ACL LOG of " + port);
            }
        } finally {
            clients.forEach(WsClient::abort);
        }
    }
}
