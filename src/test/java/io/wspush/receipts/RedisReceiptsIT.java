package io.wspush.receipts;

import io.wspush.testing.Closing;
import io.wspush.testing.RedisProcess;
import io.wspush.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import io.wspush.testing.V1;
import io.wspush.testing.WsClient;
import io.wspush.testing.Poll;
import jakarta.json.JsonObject;

import java.time.Duration;

import static io.wspush.receipts.ReceiptsIT.answer;
import static io.wspush.receipts.ReceiptsIT.body;
import static io.wspush.receipts.ReceiptsIT.device;
import static io.wspush.receipts.ReceiptsIT.pushAsync;
import static io.wspush.receipts.ReceiptsIT.receiveAndAck;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Receipts across two nodes sharing one real redis-server ({@code wspush.broker=redis}). */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
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
        Closing.closeAll(a, b, redis);
    }

    static TestServer node() {
        return TestServer.builder().set("broker", "redis").set("redis.uri", redis.uri()).set("redis.timeout", "2")
                .set("redis.publish-budget", "2").set("receipts.max-wait", 20).start();
    }

    static long subscribed(String user) {
        return redis.subscribers("wspush:u:{" + user + "}");
    }

    @Test
    @Order(1)
    void acksOnTheOtherNodeAreCountedByTheNodeThatTookThePush() throws Exception {
        CrossNodeReceipts.devicesOnBothNodes(a, b, "rr-both", () -> subscribed("rr-both"));
    }

    @Test
    @Order(2)
    void aUserOnlyOnTheOtherNode() throws Exception {
        CrossNodeReceipts.onlyOnTheOtherNode(a, b, "rr-remote", () -> subscribed("rr-remote"));
    }

    /** Redis freezes while a push waits: the push answers at its deadline with what reached it, never hangs. */
    @Test
    @Order(3)
    void redisGoingAwayMidWaitEndsTheWaitAtItsDeadline() throws Exception {
        String user = "rr-frozen";
        try (WsClient a1 = device(a, user); WsClient b1 = device(b, user)) {
            Poll.untilEquals("nodes subscribed", Duration.ofSeconds(20), 2L, () -> subscribed(user));
            long started = System.nanoTime();
            var f = pushAsync(a, body(user, "before the freeze", "{\"wait\":3}"));
            long offset = V1.next(b1).offset(); // the push went through Redis
            redis.pause();
            try {
                b1.send("{\"type\":\"ack\",\"offset\":" + offset + "}"); // cannot reach the origin now
                assertEquals(offset, receiveAndAck(a1));
                JsonObject r = answer(f);
                long tookMs = (System.nanoTime() - started) / 1_000_000;
                assertFalse(r.getBoolean("complete"), r.toString());
                assertEquals(1, r.getInt("acknowledged"), "only the origin's own device: " + r);
                assertTrue(tookMs >= 3000 && tookMs < 6000, "answered after " + tookMs + " ms, not at the 3 s wait");
            } finally {
                redis.resume();
            }
        }
    }
}
