package io.wspush.connection;

import io.wspush.protocol.Delivery;
import io.wspush.testing.FakeSession;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-connection writer alone, against a fake socket: one send at a time, order kept, bounded, no recursion. */
class ConnectionWriterTest {

    /** Records what the writer reports. */
    static final class Recorder implements ConnectionWriter.Events {
        final AtomicInteger sent = new AtomicInteger();
        final AtomicInteger overflows = new AtomicInteger();
        final List<Throwable> failures = new CopyOnWriteArrayList<>();

        @Override
        public void sent(long queuedNanos) {
            sent.incrementAndGet();
        }

        @Override
        public void failed(Throwable cause) {
            failures.add(cause);
        }

        @Override
        public void overflowed() {
            overflows.incrementAndGet();
        }
    }

    static Delivery d(String msg) {
        return new Delivery("u", null, msg, 1L);
    }

    static ConnectionWriter writer(FakeSession fs, int maxMessages, long maxChars, Recorder events) {
        return new ConnectionWriter(fs.session.getAsyncRemote(), false, new ConnectionWriter.Limits(maxMessages, maxChars), events);
    }

    static boolean offer(ConnectionWriter w, Delivery d) {
        return w.offer(d, d.message.length());
    }

    @Test
    void inlineCompletionsDrainAHugeQueueOnOneStackWithoutRecursing() {
        FakeSession fs = new FakeSession(null);
        Recorder events = new Recorder();
        ConnectionWriter w = writer(fs, 1_000_000, 1L << 40, events);
        fs.completeInline = false;
        offer(w, d("first")); // held: everything after it queues
        for (int i = 0; i < 100_000; i++) assertTrue(offer(w, d("m" + i)));
        assertEquals(100_000, w.queuedMessages());
        fs.completeInline = true;
        fs.completeOne(); // 100,000 inline completions: a recursing writer overflows the stack here
        assertEquals(100_001, fs.sent.size());
        assertEquals("m99999", fs.sent.get(100_000));
        assertEquals(100_001, events.sent.get());
        assertEquals(0, w.queuedMessages());
    }

    @Test
    void concurrentOffersNeverOverlapAndKeepEachSendersOrder() throws Exception {
        FakeSession fs = new FakeSession(null); // fails the test on two sends in flight at once
        ConnectionWriter w = writer(fs, 1_000_000, 1L << 40, new Recorder());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> jobs = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            jobs.add(pool.submit(() -> {
                go.await();
                for (int i = 0; i < 5000; i++) offer(w, d(thread + ":" + i));
                return null;
            }));
        }
        go.countDown();
        for (Future<?> f : jobs) f.get();
        pool.shutdown();
        assertEquals(40_000, fs.sent.size());
        int[] next = new int[8];
        for (String s : fs.sent) {
            String[] p = s.split(":");
            assertEquals(next[Integer.parseInt(p[0])]++, Integer.parseInt(p[1]));
        }
    }

    @Test
    void anOfferPastTheMessageLimitIsRefusedAndReported() {
        FakeSession fs = new FakeSession(null);
        Recorder events = new Recorder();
        ConnectionWriter w = writer(fs, 2, 1L << 40, events);
        fs.completeInline = false;
        assertTrue(offer(w, d("in flight"))); // taken at once: not queued
        assertTrue(offer(w, d("q1")));
        assertTrue(offer(w, d("q2")));
        assertFalse(offer(w, d("q3")));
        assertEquals(1, events.overflows.get());
        assertEquals(2, w.queuedMessages(), "the refused offer left nothing behind");
        fs.completeOne();
        fs.completeOne();
        fs.completeOne();
        assertEquals(List.of("in flight", "q1", "q2"), fs.sent);
    }

    @Test
    void theCharacterLimitCountsQueuedCharacters() {
        FakeSession fs = new FakeSession(null);
        Recorder events = new Recorder();
        ConnectionWriter w = writer(fs, 1000, 10, events);
        fs.completeInline = false;
        assertTrue(offer(w, d("0123456789"))); // in flight
        assertTrue(offer(w, d("0123456789"))); // 10 queued: at the limit
        assertFalse(offer(w, d("x")));
        assertEquals(1, events.overflows.get());
        fs.completeOne(); // the queued one goes out: room again
        assertTrue(offer(w, d("x")));
    }

    @Test
    void stopDropsTheQueueAndRefusesMore() {
        FakeSession fs = new FakeSession(null);
        ConnectionWriter w = writer(fs, 100, 1000, new Recorder());
        fs.completeInline = false;
        offer(w, d("in flight"));
        offer(w, d("queued"));
        w.stop();
        assertFalse(offer(w, d("after stop")));
        fs.completeOne();
        assertEquals(List.of("in flight"), fs.sent);
        assertEquals(0, fs.heldCount(), "nothing was sent after the stop");
    }

    @Test
    void aPingWaitsForTheFrameBeforeIt() {
        FakeSession fs = new FakeSession(null);
        ConnectionWriter w = writer(fs, 100, 1000, new Recorder());
        fs.completeInline = false;
        offer(w, d("a"));
        w.offer(ConnectionWriter.PING, 0);
        offer(w, d("b"));
        assertEquals(0, fs.pings.get(), "the ping must not overtake the frame in flight");
        fs.completeOne();
        assertEquals(1, fs.pings.get());
        assertEquals(List.of("a", "b"), fs.sent);
    }

    @Test
    void controlFramesAreSentButNotCountedAsDeliveries() {
        FakeSession fs = new FakeSession(null);
        Recorder events = new Recorder();
        ConnectionWriter w = writer(fs, 100, 1000, events);
        w.offer("{\"type\":\"pong\"}", 15);
        offer(w, d("m"));
        assertEquals(List.of("{\"type\":\"pong\"}", "m"), fs.sent);
        assertEquals(1, events.sent.get());
    }

    @Test
    void v1WritersSendTheEnvelope() {
        FakeSession fs = new FakeSession(null);
        ConnectionWriter w = new ConnectionWriter(fs.session.getAsyncRemote(), true, new ConnectionWriter.Limits(10, 1000),
                new Recorder());
        Delivery delivery = new Delivery("u", "news", "hi", 42L);
        w.offer(delivery, delivery.envelope().length());
        assertEquals(List.of("{\"type\":\"message\",\"event\":\"news\",\"message\":\"hi\",\"ts\":42}"), fs.sent);
    }

    @Test
    void aSendThatThrowsIsReportedAndTheWriterGoesOn() {
        List<String> sent = new ArrayList<>();
        RemoteEndpoint.Async remote = (RemoteEndpoint.Async) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {RemoteEndpoint.Async.class}, (p, m, a) -> {
                    if (m.getName().equals("sendText")) {
                        if ("boom".equals(a[0])) throw new IllegalStateException("session closed");
                        sent.add((String) a[0]);
                        ((SendHandler) a[1]).onResult(new jakarta.websocket.SendResult());
                    }
                    return null;
                });
        Recorder events = new Recorder();
        ConnectionWriter w = new ConnectionWriter(remote, false, new ConnectionWriter.Limits(10, 1000), events);
        offer(w, d("boom"));
        offer(w, d("after"));
        assertEquals(1, events.failures.size());
        assertEquals("session closed", events.failures.get(0).getMessage());
        assertEquals(List.of("after"), sent, "the writer is not wedged by a failed send");
    }

    @Test
    void aPingIsWrittenOnThePingerHoldingTheSenderRoleAndAStuckOneIsFreedByStop() throws Exception {
        CountDownLatch socketFull = new CountDownLatch(1);
        List<String> sent = new CopyOnWriteArrayList<>();
        RemoteEndpoint.Async remote = (RemoteEndpoint.Async) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {RemoteEndpoint.Async.class}, (p, m, a) -> {
                    if (m.getName().equals("sendPing")) {
                        socketFull.await(); // blocks as a container's sendPing does on a peer that does not read
                        sent.add("<ping>");
                    } else if (m.getName().equals("sendText")) {
                        sent.add((String) a[0]);
                        ((SendHandler) a[1]).onResult(new jakarta.websocket.SendResult());
                    }
                    return null;
                });
        List<Runnable> pingerTasks = new CopyOnWriteArrayList<>();
        ConnectionWriter.Totals totals = new ConnectionWriter.Totals();
        Recorder events = new Recorder();
        ConnectionWriter w = new ConnectionWriter(remote, false,
                new ConnectionWriter.Limits(10, 1000, pingerTasks::add, totals), events);

        // The offering thread (the node's timer) only hands the ping over; it never calls sendPing itself.
        assertTrue(w.offer(ConnectionWriter.PING, 0));
        assertEquals(1, pingerTasks.size());
        assertTrue(offer(w, d("behind the ping")));
        assertEquals(List.of(), sent, "nothing overtakes the ping in flight");
        assertEquals(1, totals.messages());
        assertEquals("behind the ping".length(), totals.chars());

        Thread pinger = new Thread(pingerTasks.get(0), "test-pinger");
        pinger.start();
        io.wspush.testing.Poll.until("the ping under way", java.time.Duration.ofSeconds(5),
                () -> w.pingOverdue(System.nanoTime(), 0));
        assertFalse(w.pingOverdue(System.nanoTime(), java.time.Duration.ofSeconds(60).toNanos()));
        w.stop(); // the sweep closed the peer: the stuck pinger thread is interrupted and freed
        pinger.join(5_000);
        assertFalse(pinger.isAlive(), "the pinger thread is free again");
        assertEquals(1, events.failures.size(), "the interrupted ping reports a failure");
        assertFalse(w.pingOverdue(System.nanoTime(), 0));
        assertEquals(0, totals.messages(), "the dropped queue leaves the node totals");
        assertEquals(0, totals.chars());
        assertFalse(Thread.currentThread().isInterrupted());
    }

    @Test
    void nodeTotalsFollowEveryQueueAndDrain() {
        FakeSession a = new FakeSession(null), b = new FakeSession(null);
        a.completeInline = false;
        b.completeInline = false;
        ConnectionWriter.Totals totals = new ConnectionWriter.Totals();
        Recorder events = new Recorder();
        ConnectionWriter wa = new ConnectionWriter(a.session.getAsyncRemote(), false,
                new ConnectionWriter.Limits(10, 1000, Runnable::run, totals), events);
        ConnectionWriter wb = new ConnectionWriter(b.session.getAsyncRemote(), false,
                new ConnectionWriter.Limits(10, 1000, Runnable::run, totals), events);
        for (int i = 0; i < 3; i++) offer(wa, d("aaaa"));
        for (int i = 0; i < 2; i++) offer(wb, d("bb"));
        // One frame of each is in flight (not queued any more): 2 + 1 queued.
        assertEquals(3, totals.messages());
        assertEquals(2 * 4 + 2, totals.chars());
        a.completeOne();
        assertEquals(2, totals.messages());
        wb.stop();
        assertEquals(1, totals.messages());
        assertEquals(4, totals.chars());
        a.completeOne();
        a.completeOne();
        assertEquals(0, totals.messages());
        assertEquals(0, totals.chars());
    }
}
