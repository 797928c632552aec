package io.wspush.receipts;

import io.wspush.broker.Broker;
import io.wspush.config.Config;
import io.wspush.config.Settings;
import io.wspush.connection.Connection;
import io.wspush.connection.ConnectionWriter;
import io.wspush.metrics.PushMetrics;
import io.wspush.protocol.Delivery;
import io.wspush.protocol.Envelopes;
import io.wspush.protocol.ReceiptTag;
import io.wspush.testing.FakeSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The receipt book on its own: which connections count, acks counted once and only from a connection that got the
 * message, the same push arriving on two routes, another node's push reported and its acks forwarded, the bound.
 */
class ReceiptsTest {

    /** The broker half the book uses: reports to other nodes, recorded. */
    static final class Reports implements Broker {
        final List<String> sent = new CopyOnWriteArrayList<>();

        @Override
        public void sendToNode(String node, String report) {
            sent.add(node + " " + report);
        }

        @Override
        public void start(LocalNode local) {
        }

        @Override
        public int publish(Delivery d) {
            return 0;
        }

        @Override
        public int broadcast(Delivery d) {
            return 0;
        }

        @Override
        public int disconnect(String userId, long revokedAtEpochMillis) {
            return 0;
        }

        @Override
        public String problem() {
            return null;
        }

        @Override
        public void close() {
        }
    }

    final Reports broker = new Reports();
    final PushMetrics metrics = new PushMetrics();
    Receipts book = book(3);

    Receipts book(int maxPending) {
        Config config = Config.from(Settings.load(Map.of("wspush.token.secret", "0123456789abcdef0123456789abcdef",
                "wspush.push.key", "push-key-0123456789", "wspush.receipts.max-pending", String.valueOf(maxPending))::get));
        return new Receipts(config, metrics, broker, Thread::new);
    }

    @AfterEach
    void stop() {
        book.stop();
        metrics.close();
    }

    static Connection connection(String subprotocol, String user) {
        Connection c = new Connection(new FakeSession(subprotocol).session, new FakeSession.Owner(),
                new ConnectionWriter.Limits(10, 1 << 20));
        c.registered(user, null);
        return c;
    }

    static ReceiptAnswer await(CompletableFuture<ReceiptAnswer> f) throws Exception {
        return f.get(5, TimeUnit.SECONDS);
    }

    @Test
    void aMessageHandedTwiceToOneConnectionCountsOnceAndOnlyItsAcksCount() throws Exception {
        Connection a = connection(Envelopes.SUBPROTOCOL, "u");
        Connection b = connection(Envelopes.SUBPROTOCOL, "u");
        Connection stranger = connection(Envelopes.SUBPROTOCOL, "u");
        Connection plain = connection(null, "u");
        CompletableFuture<ReceiptAnswer> answer = new CompletableFuture<>();
        ReceiptWait w = book.begin(Duration.ofSeconds(30), answer::complete);
        Delivery d = new Delivery("u", null, "m", 1L, 7, "e").withReceipt(book.tag(w));
        // This node's delivery, then its own echo through Redis (a syncing connection takes both).
        assertEquals(3, book.deliver(d, true, false, new Connection[]{a, b, plain}, c -> true));
        assertEquals(2, book.deliver(d, true, false, new Connection[]{a, b}, c -> true));
        book.pushed(w, 7, 0);
        book.acked(stranger, 7);   // never handed it
        book.acked(a, 8);          // another message
        book.acked(a, 7);
        book.acked(a, 7);          // again
        assertFalse(answer.isDone(), "b has not acknowledged");
        book.acked(b, 7);
        ReceiptAnswer r = await(answer);
        assertEquals(new ReceiptAnswer(3, 2, 1, 7, true), r);
        book.acked(b, 7); // after the answer: nothing, no error
    }

    @Test
    void aConnectionThatDidNotTakeTheMessageIsNotWaitedFor() throws Exception {
        Connection a = connection(Envelopes.SUBPROTOCOL, "u");
        Connection full = connection(Envelopes.SUBPROTOCOL, "u");
        CompletableFuture<ReceiptAnswer> answer = new CompletableFuture<>();
        ReceiptWait w = book.begin(Duration.ofSeconds(30), answer::complete);
        Delivery d = new Delivery("u", null, "m", 1L, 3, "e").withReceipt(book.tag(w));
        assertEquals(1, book.deliver(d, true, false, new Connection[]{a, full}, c -> c == a));
        book.pushed(w, 3, 0);
        book.acked(full, 3);
        assertFalse(answer.isDone());
        book.acked(a, 3);
        assertEquals(new ReceiptAnswer(1, 1, 0, 3, true), await(answer));
    }

    @Test
    void waitsForEveryOtherNodesReportThenItsAcks() throws Exception {
        CompletableFuture<ReceiptAnswer> answer = new CompletableFuture<>();
        ReceiptWait w = book.begin(Duration.ofSeconds(30), answer::complete);
        book.pushed(w, 5, 2); // nothing here; two other nodes got it
        book.fromNode(ReceiptReport.handed(w.id, 2, 1));
        book.fromNode(ReceiptReport.acked(w.id, 1));
        book.fromNode(ReceiptReport.acked(w.id, 1));
        assertFalse(answer.isDone(), "the second node has not reported");
        book.fromNode("garbage");
        book.fromNode(ReceiptReport.handed(w.id + 100, 0, 0)); // another wait: ignored
        book.fromNode(ReceiptReport.handed(w.id, 0, 0));
        assertEquals(new ReceiptAnswer(3, 2, 1, 5, true), await(answer));
    }

    @Test
    void anotherNodesPushIsReportedAndItsAcksForwardedOnce() {
        Connection a = connection(Envelopes.SUBPROTOCOL, "u");
        Connection plain = connection(null, "u");
        Delivery d = new Delivery("u", null, "m", 1L, 9, "e").withReceipt(new ReceiptTag("node-a#1", 42));
        assertEquals(2, book.deliver(d, false, true, new Connection[]{a, plain}, c -> true));
        book.acked(a, 9);
        book.acked(a, 9);
        book.acked(plain, 9);
        assertEquals(List.of("node-a#1 h 42 1 1", "node-a#1 a 42 1"), broker.sent);
    }

    @Test
    void boundedAndStoppable() throws Exception {
        CompletableFuture<ReceiptAnswer> first = new CompletableFuture<>();
        ReceiptWait w = book.begin(Duration.ofSeconds(30), first::complete);
        assertTrue(book.begin(Duration.ofSeconds(30), x -> { }) != null);
        assertTrue(book.begin(Duration.ofSeconds(30), x -> { }) != null);
        assertNull(book.begin(Duration.ofSeconds(30), x -> { }), "over receipts.max-pending");
        book.deliver(new Delivery("u", null, "m", 1L, 4, "e").withReceipt(book.tag(w)), true, false,
                new Connection[]{connection(Envelopes.SUBPROTOCOL, "u")}, c -> true);
        book.pushed(w, 4, 0);
        book.stop();
        assertEquals(new ReceiptAnswer(1, 0, 0, 4, false), await(first));
        assertThrows(IllegalStateException.class, () -> book.begin(Duration.ofSeconds(1), x -> { }));
    }

    @Test
    void theWaitEndsAtItsDeadlineAndAPushWithoutOffsetAnswersAtOnce() throws Exception {
        CompletableFuture<ReceiptAnswer> timed = new CompletableFuture<>();
        ReceiptWait w = book.begin(Duration.ofMillis(200), timed::complete);
        book.deliver(new Delivery("u", null, "m", 1L, 2, "e").withReceipt(book.tag(w)), true, false,
                new Connection[]{connection(Envelopes.SUBPROTOCOL, "u")}, c -> true);
        book.pushed(w, 2, 0);
        long t0 = System.nanoTime();
        assertEquals(new ReceiptAnswer(1, 0, 0, 2, false), await(timed));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3));

        CompletableFuture<ReceiptAnswer> noOffset = new CompletableFuture<>();
        ReceiptWait u = book.begin(Duration.ofSeconds(30), noOffset::complete);
        book.deliver(new Delivery("u", null, "m", 1L).withReceipt(book.tag(u)), true, false,
                new Connection[]{connection(Envelopes.SUBPROTOCOL, "u")}, c -> true);
        book.pushed(u, 0, 0); // history unreachable: no offset, and none to come
        assertEquals(new ReceiptAnswer(1, 0, 1, 0, false), await(noOffset), "a v1 client cannot ack without offset");
    }

    @Test
    void aPushWhoseOffsetCameTooLateForItsAnswerStillCountsWhatComesThroughRedis() throws Exception {
        CompletableFuture<ReceiptAnswer> answer = new CompletableFuture<>();
        ReceiptWait w = book.begin(Duration.ofSeconds(2), answer::complete);
        book.pushed(w, 0, -1); // the history script missed the publish budget: it may still run
        Connection a = connection(Envelopes.SUBPROTOCOL, "u");
        // It ran: this node's own push comes back through its subscription, with its offset.
        book.deliver(new Delivery("u", null, "m", 1L, 6, "e").withReceipt(new ReceiptTag("me#1", w.id)), true, false,
                new Connection[]{a}, c -> true);
        book.fromNode(ReceiptReport.handed(w.id, 1, 0));
        book.fromNode(ReceiptReport.acked(w.id, 1));
        book.acked(a, 6);
        assertFalse(answer.isDone(), "how many nodes got it is unknown: the wait runs to its deadline");
        assertEquals(new ReceiptAnswer(2, 2, 0, 6, false), await(answer));
    }

    @Test
    void theSameOffsetOfANewEpochBelongsToTheNewerPush() throws Exception {
        Connection a = connection(Envelopes.SUBPROTOCOL, "u");
        CompletableFuture<ReceiptAnswer> older = new CompletableFuture<>();
        ReceiptWait w1 = book.begin(Duration.ofSeconds(2), older::complete);
        book.deliver(new Delivery("u", null, "old", 1L, 1, "e1").withReceipt(book.tag(w1)), true, false,
                new Connection[]{a}, c -> true);
        book.pushed(w1, 1, 0);
        CompletableFuture<ReceiptAnswer> newer = new CompletableFuture<>();
        ReceiptWait w2 = book.begin(Duration.ofSeconds(30), newer::complete);
        book.deliver(new Delivery("u", null, "new", 2L, 1, "e2").withReceipt(book.tag(w2)), true, false,
                new Connection[]{a}, c -> true);
        book.pushed(w2, 1, 0);
        book.acked(a, 1);
        assertEquals(new ReceiptAnswer(1, 1, 0, 1, true), await(newer));
        assertEquals(new ReceiptAnswer(1, 0, 0, 1, false), await(older));
    }
}
