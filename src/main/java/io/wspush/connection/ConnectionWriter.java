package io.wspush.connection;

import io.wspush.protocol.Delivery;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The one sender of a connection's frames. JSR-356 forbids concurrent sends on a session (Tomcat throws; the Go
 * server wspush replaces lost messages to that race), so every frame goes through a bounded queue drained by one
 * sender at a time with asynchronous sends: a push never waits for a client's socket, and a queue that passes its
 * limits is reported ({@link Events#overflowed}) so the connection can be closed instead of holding memory.
 *
 * <p>Lock-free: whoever flips {@code sending} from false to true is the sender and drains until the queue is empty
 * or a send goes asynchronous; the send's completion callback then carries on. {@code phase} settles who continues
 * when a send completes inline, so the loop never recurses through the callback.
 *
 * <p>Pings: JSR-356 has no asynchronous ping ({@code sendPing} blocks on every container: Jetty 12 waits on the
 * frame's callback without a deadline until the connection's idle timeout, Tomcat up to its blocking send timeout),
 * and a client that floods pings and never reads fills its socket with the container's automatic pongs. So a ping
 * is written on the {@link Limits#pinger} pool, never on the thread that queued it (the node's timer): while it is
 * in flight it holds the sender role like an asynchronous text send, so one stuck peer holds at most one pinger
 * thread, and {@link #pingOverdue} lets the sweep close a peer whose ping is not written in time ({@link #stop}
 * then interrupts the blocked thread).
 */
public final class ConnectionWriter implements SendHandler {

    /**
     * How much one connection may have queued (messages, and characters of their frames), and what all writers of
     * a node share: the pool that performs blocking pings, and the node-wide queue totals.
     */
    public record Limits(int maxMessages, long maxChars, Executor pinger, Totals totals) {
        /** Pings inline on the caller's thread, own totals: for tests of one writer. */
        public Limits(int maxMessages, long maxChars) {
            this(maxMessages, maxChars, Runnable::run, new Totals());
        }
    }

    /** What is queued on all connections of a node, kept by the writers as they go (cheap to read per scrape). */
    public static final class Totals {
        private final LongAdder messages = new LongAdder();
        private final LongAdder chars = new LongAdder();

        public long messages() {
            return messages.sum();
        }

        /** Counted as {@code wspush.queue.max-bytes} counts: characters of the frames. */
        public long chars() {
            return chars.sum();
        }

        void add(int chars) {
            messages.increment();
            this.chars.add(chars);
        }

        void remove(int chars) {
            messages.decrement();
            this.chars.add(-chars);
        }
    }

    /** What the writer tells its connection. Called on whichever thread is the sender at that moment. */
    interface Events {
        /** A delivery's frame was written (not called for control frames or pings). */
        void sent(long queuedNanos);

        void failed(Throwable cause);

        /** An offer passed the limits and was refused. */
        void overflowed();
    }

    static final Object PING = new Object();
    private static final ByteBuffer PING_PAYLOAD = ByteBuffer.allocate(0);
    private static final int PENDING = 0, COMPLETED_INLINE = 1, GONE_ASYNC = 2;

    private final RemoteEndpoint.Async remote;
    private final boolean v1;
    private final Limits limits;
    private final Events events;

    private final ConcurrentLinkedQueue<Queued> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queuedMessages = new AtomicInteger();
    private final AtomicLong queuedChars = new AtomicLong();
    private final AtomicBoolean sending = new AtomicBoolean();
    private volatile boolean stopped;
    /** Who continues after a send: the loop that started it (completed inline) or its completion callback. */
    private final AtomicInteger phase = new AtomicInteger();
    private Object inFlight;
    private long inFlightQueuedNanos;
    /** The pinger thread writing this connection's ping and since when; guarded by pingLock. */
    private final Object pingLock = new Object();
    private Thread pingThread;
    private volatile long pingStartedNanos;

    ConnectionWriter(RemoteEndpoint.Async remote, boolean v1, Limits limits, Events events) {
        this.remote = remote;
        this.v1 = v1;
        this.limits = limits;
        this.events = events;
    }

    private record Queued(Object item, int chars, long queuedNanos) {
    }

    /**
     * Queues a {@link Delivery}, a control text frame ({@code String}) or {@link #PING}.
     *
     * @return false when stopped, or when the item would pass the limits (then {@link Events#overflowed} was called)
     */
    boolean offer(Object item, int chars) {
        if (stopped) return false;
        // Idle writer (the usual case of a push): become the sender and send at once, with no queue node, counters
        // or totals to add and take back. Only when nothing queued is older; a frame alone over the limit still
        // overflows below.
        if (item != PING && chars <= limits.maxChars() && queue.isEmpty() && sending.compareAndSet(false, true)) {
            if (queue.isEmpty()) {
                if (stopped) {
                    sending.set(false);
                    return false;
                }
                if (transmit(item, System.nanoTime())) drainHoldingSender();
                return true;
            }
            // Something was queued between the checks: it goes first, and this item queues behind it below.
            drainHoldingSender();
        }
        int n = queuedMessages.incrementAndGet();
        long c = queuedChars.addAndGet(chars);
        if (n > limits.maxMessages() || c > limits.maxChars()) {
            queuedMessages.decrementAndGet();
            queuedChars.addAndGet(-chars);
            events.overflowed();
            return false;
        }
        Queued q = new Queued(item, chars, System.nanoTime());
        queue.add(q);
        limits.totals().add(chars);
        if (stopped && queue.remove(q)) {
            // Stopped while we queued: stop() may have drained before our add, so take it back ourselves.
            limits.totals().remove(chars);
            return false;
        }
        if (sending.compareAndSet(false, true)) {
            drainHoldingSender();
        }
        return true;
    }

    /**
     * Takes the sender role without sending, so what is offered from now on queues until {@link #release}.
     *
     * @return false when some send is under way (then nothing is held)
     */
    boolean hold() {
        return sending.compareAndSet(false, true);
    }

    /** Ends a {@link #hold}: sends what queued meanwhile, in order. */
    void release() {
        drainHoldingSender();
    }

    /** The connection is closing: what is queued is dropped and nothing more is sent. */
    void stop() {
        stopped = true;
        Queued q;
        while ((q = queue.poll()) != null) limits.totals().remove(q.chars());
        synchronized (pingLock) {
            // A ping stuck on a peer that does not read: free the pinger thread (its sendPing fails).
            if (pingThread != null) pingThread.interrupt();
        }
    }

    /** Whether a ping has been waiting longer than {@code timeoutNanos} to be written (the peer does not read). */
    boolean pingOverdue(long nowNanos, long timeoutNanos) {
        long started = pingStartedNanos;
        return started != 0 && nowNanos - started > timeoutNanos;
    }

    int queuedMessages() {
        return queuedMessages.get();
    }

    /** Caller holds the sender role. Sends until the queue is empty or a send goes asynchronous. */
    private void drainHoldingSender() {
        for (;;) {
            Queued q;
            while ((q = queue.poll()) != null) {
                queuedMessages.decrementAndGet();
                queuedChars.addAndGet(-q.chars());
                limits.totals().remove(q.chars());
                if (stopped) continue;
                if (!transmit(q)) return;
            }
            sending.set(false);
            // An offer may have seen 'sending' still set just before we released it: take the role back.
            if (queue.isEmpty() || !sending.compareAndSet(false, true)) return;
        }
    }

    /** @return true when the send completed inline and the caller should go on draining */
    private boolean transmit(Queued q) {
        return transmit(q.item(), q.queuedNanos());
    }

    private boolean transmit(Object item, long queuedNanos) {
        inFlight = item;
        inFlightQueuedNanos = queuedNanos;
        phase.set(PENDING);
        if (item == PING) {
            try {
                limits.pinger().execute(this::pingHoldingSender);
            } catch (RejectedExecutionException shuttingDown) {
                inFlight = null;
                return true; // no ping this round
            }
            return !phase.compareAndSet(PENDING, GONE_ASYNC);
        }
        String text = item instanceof Delivery d ? d.frame(v1) : (String) item;
        try {
            remote.sendText(text, this);
        } catch (RuntimeException e) {
            // Some containers throw instead of reporting through the handler (session already closed).
            onResult(new SendResult(e));
        }
        return !phase.compareAndSet(PENDING, GONE_ASYNC);
    }

    /** On a pinger thread: the blocking write, then carries on like an asynchronous send's completion. */
    private void pingHoldingSender() {
        Exception failure = null;
        synchronized (pingLock) {
            pingThread = Thread.currentThread();
            pingStartedNanos = System.nanoTime();
        }
        try {
            if (!stopped) remote.sendPing(PING_PAYLOAD.duplicate());
        } catch (Exception e) {
            failure = e;
        } finally {
            synchronized (pingLock) {
                pingThread = null;
                pingStartedNanos = 0;
                Thread.interrupted(); // an interrupt from stop() ends here, never in the pool's next task
            }
        }
        onResult(failure == null ? new SendResult() : new SendResult(failure));
    }

    @Override
    public void onResult(SendResult result) {
        Object item = inFlight;
        inFlight = null;
        if (result.isOK()) {
            if (item instanceof Delivery) events.sent(inFlightQueuedNanos);
        } else {
            events.failed(result.getException());
        }
        if (!phase.compareAndSet(PENDING, COMPLETED_INLINE)) {
            // The sending loop has already returned: this callback carries on draining.
            drainHoldingSender();
        }
    }
}
