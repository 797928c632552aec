package io.wspush.receipts;

import io.wspush.testing.Poll;
import io.wspush.testing.TestServer;
import io.wspush.testing.V1;
import io.wspush.testing.WsClient;
import jakarta.json.JsonObject;

import java.time.Duration;
import java.util.function.LongSupplier;

import static io.wspush.receipts.ReceiptsIT.answer;
import static io.wspush.receipts.ReceiptsIT.body;
import static io.wspush.receipts.ReceiptsIT.device;
import static io.wspush.receipts.ReceiptsIT.pushAsync;
import static io.wspush.receipts.ReceiptsIT.receiveAndAck;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The receipt scenarios both Redis modes run: devices on two nodes, the push taken by one of them. */
final class CrossNodeReceipts {

    private CrossNodeReceipts() {
    }

    /**
     * Two devices on {@code a}, one on {@code b}; pushes through {@code a}. All acknowledge: answered early with every
     * connection of both nodes; {@code b}'s device silent: answered at the wait with {@code acknowledged:2}.
     */
    static void devicesOnBothNodes(TestServer a, TestServer b, String user, LongSupplier nodesSubscribed)
            throws Exception {
        try (WsClient a1 = device(a, user); WsClient a2 = device(a, user); WsClient b1 = device(b, user)) {
            Poll.untilEquals("nodes subscribed for " + user, Duration.ofSeconds(20), 2L, nodesSubscribed::getAsLong);

            long started = System.nanoTime();
            var all = pushAsync(a, body(user, "everyone", "{\"wait\":15}"));
            long offset = receiveAndAck(b1); // the remote node's ack first
            assertEquals(offset, receiveAndAck(a1));
            assertEquals(offset, receiveAndAck(a2));
            JsonObject r = answer(all);
            long tookMs = (System.nanoTime() - started) / 1_000_000;
            assertEquals(3, r.getInt("delivered"), r.toString());
            assertEquals(3, r.getInt("acknowledged"), r.toString());
            assertTrue(r.getBoolean("complete"), r.toString());
            assertTrue(tookMs < 8000, "all acknowledged, yet answered after " + tookMs + " ms");

            started = System.nanoTime();
            var twoOfThree = pushAsync(a, body(user, "not b", "{\"wait\":2}"));
            offset = receiveAndAck(a1);
            receiveAndAck(a2);
            assertEquals(offset, V1.next(b1).offset()); // received on b, never acknowledged
            r = answer(twoOfThree);
            tookMs = (System.nanoTime() - started) / 1_000_000;
            assertEquals(3, r.getInt("delivered"), r.toString());
            assertEquals(2, r.getInt("acknowledged"), r.toString());
            assertFalse(r.getBoolean("complete"), r.toString());
            assertTrue(tookMs >= 2000 && tookMs < 5000, "answered after " + tookMs + " ms, not at the 2 s wait");
        }
    }

    /** The user is only on {@code b}: {@code a} takes the push and counts b's acknowledgement. */
    static void onlyOnTheOtherNode(TestServer a, TestServer b, String user, LongSupplier nodesSubscribed)
            throws Exception {
        try (WsClient b1 = device(b, user)) {
            Poll.untilEquals("nodes subscribed for " + user, Duration.ofSeconds(20), 1L, nodesSubscribed::getAsLong);
            var f = pushAsync(a, body(user, "remote", "{\"wait\":15}"));
            long offset = receiveAndAck(b1);
            JsonObject r = answer(f);
            assertEquals(1, r.getInt("delivered"), r.toString());
            assertEquals(1, r.getInt("acknowledged"), r.toString());
            assertEquals(offset, r.getJsonNumber("offset").longValueExact(), r.toString());
            assertTrue(r.getBoolean("complete"), r.toString());
        }
    }
}
