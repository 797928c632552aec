package io.wspush.receipts;

import io.wspush.testing.RedisProcess;
import io.wspush.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Receipts across two nodes sharing one real redis-server ({@code wspush.broker=redis}). */
class RedisReceiptsIT {

    static RedisProcess redis;
    static TestServer a;
    static TestServer b;

    @BeforeAll
    static void start() {
        redis = RedisProcess.start();
        a = node();
        b = node();
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[]{a, b, redis}) {
            try {
                if (c != null) c.close();
            } catch (Exception ignored) {
                // closing what is left
            }
        }
    }

    static TestServer node() {
        return TestServer.builder().set("broker", "redis").set("redis.uri", redis.uri()).set("redis.timeout", "2")
                .set("redis.publish-budget", "2").set("receipts.max-wait", 20).start();
    }

    static long subscribed(String user) {
        return redis.subscribers("wspush:u:{" + user + "}");
    }

    @Test
    void acksOnTheOtherNodeAreCountedByTheNodeThatTookThePush() throws Exception {
        CrossNodeReceipts.devicesOnBothNodes(a, b, "rr-both", () -> subscribed("rr-both"));
    }

    @Test
    void aUserOnlyOnTheOtherNode() throws Exception {
        CrossNodeReceipts.onlyOnTheOtherNode(a, b, "rr-remote", () -> subscribed("rr-remote"));
    }
}
