package io.wspush.receipts;

import io.wspush.testing.Closing;
import io.wspush.testing.RedisCluster;
import io.wspush.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * Receipts across two nodes on a real Redis Cluster ({@code wspush.broker=redis-cluster}): the pushes travel by
 * sharded pub/sub, the reports by each node's own (classic) channel.
 */
class RedisClusterReceiptsIT {

    /** The ACL user of the cluster tests (see RedisClusterIT), and no full coverage required. */
    static final String[] REDIS_ARGS = {"--user", "wspush", "on", ">wspush-test-password", "resetchannels",
            "&wspush:*", "resetkeys", "~wspush:*", "-@all", "+spublish", "+ssubscribe", "+sunsubscribe", "+publish",
            "+subscribe", "+unsubscribe", "+ping", "+cluster|slots", "+cluster|nodes", "+cluster|myid",
            "+pubsub|shardnumsub", "+info", "+client|setname", "+evalsha", "+eval", "+get", "+set", "+mget", "+scan",
            "+hget", "+hset", "+hincrby", "+del", "+xadd", "+xrange", "+pexpire", "+asking",
            "--cluster-require-full-coverage", "no"};

    static RedisCluster cluster;
    static TestServer a;
    static TestServer b;

    @BeforeAll
    static void start() {
        cluster = RedisCluster.start(3, REDIS_ARGS);
        a = node();
        b = node();
    }

    @AfterAll
    static void stop() {
        Closing.closeAll(a, b, cluster);
    }

    static TestServer node() {
        String seeds = cluster.seeds().replace("redis://", "redis://wspush:wspush-test-password@");
        return TestServer.builder().set("broker", "redis-cluster").set("redis.uri", seeds).set("redis.timeout", "0.5")
                .set("redis.publish-budget", "0.5").set("receipts.max-wait", 20).start();
    }

    /** Nodes subscribed to the user's sharded channel, asked on the master of its slot. */
    static long subscribed(String user) {
        String channel = "wspush:u:{" + user + "}";
        List<?> reply = (List<?>) cluster.command(cluster.masterOf(cluster.slot(channel)), "PUBSUB", "SHARDNUMSUB", channel);
        return (Long) reply.get(1);
    }

    @Test
    void acksOnTheOtherNodeAreCountedByTheNodeThatTookThePush() throws Exception {
        CrossNodeReceipts.devicesOnBothNodes(a, b, "rc-both", () -> subscribed("rc-both"));
    }

    @Test
    void aUserOnlyOnTheOtherNode() throws Exception {
        CrossNodeReceipts.onlyOnTheOtherNode(a, b, "rc-remote", () -> subscribed("rc-remote"));
    }
}
