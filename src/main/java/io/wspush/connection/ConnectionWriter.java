package io.wspush.connection;

import io.wspush.protocol.Delivery;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one sender of a connection's frames. JSR-356 forbids concurrent sends on a session (Tomcat throws; the Go
 * server wspush replaces lost messages to that race), so every frame goes through a bounded queue drained by one
 * sender at a time with asynchronous sends: a push never waits for a client's socket, and a queue that passes its
 * limits is reported ({@link Events#overflowed}) so the connection can be closed instead of holding memory.
 *
 * <p>Lock-free: whoever flips {@code sending} from false to true is the sender and drains until the queue is empty
 * or a send goes asynchronous; the send's completion callback then carries on. {@code phase} settles who continues
 * when a send completes inline, so the loop never recurses through the callback.
 */
public final class ConnectionWriter implements SendHandler {

    /** How much one connection may have queued: messages, and characters of their frames. */
    public record Limits(int maxMessages, long maxChars) {
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
        int n = queuedMessages.incrementAndGet();
        long c = queuedChars.addAndGet(chars);
        if (n > limits.maxMessages() || c > limits.maxChars()) {
            queuedMessages.decrementAndGet();
            queuedChars.addAndGet(-chars);
            events.overflowed();
            return false;
        }
        queue.add(new Queued(item, chars, System.nanoTime()));
        if (sending.compareAndSet(false, true)) {
            drainHoldingSender();
        }
        return true;
    }

    /** The connection is closing: what is queued is dropped and nothing more is sent. */
    void stop() {
        stopped = true;
        queue.clear();
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
        Object item = q.item();
        if (item == PING) {
            try {
                remote.sendPing(PING_PAYLOAD.duplicate());
            } catch (Exception e) {
                events.failed(e);
            }
            return true;
        }
        String text = item instanceof Delivery d ? d.frame(v1) : (String) item;
        inFlight = item;
        inFlightQueuedNanos = q.queuedNanos();
        phase.set(PENDING);
        try {
            remote.sendText(text, this);
        } catch (RuntimeException e) {
            // Some containers throw instead of reporting through the handler (session already closed).
            onResult(new SendResult(e));
        }
        return !phase.compareAndSet(PENDING, GONE_ASYNC);
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
