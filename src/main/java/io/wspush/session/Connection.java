package io.wspush.session;

import io.wspush.push.Delivery;
import jakarta.websocket.CloseReason;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One WebSocket connection and its writer. JSR-356 forbids concurrent sends on a session, so every frame goes
 * through a bounded queue drained by one sender at a time with asynchronous sends: a push never waits for a
 * client's socket, and a client that does not keep up is closed ({@link Disconnect#SLOW_CONSUMER}) instead of
 * holding memory or threads.
 */
public final class Connection implements SendHandler {

    public static final String SUBPROTOCOL_V1 = "wspush.v1";

    /** What the connection needs from the node around it. */
    public interface Owner {
        /** Called once, the moment wspush decides to close or learns the connection is gone. */
        void closing(Connection c, CloseReason reason);

        void sent(Connection c, long queuedNanos);

        void sendFailed(Connection c, Throwable cause);

        /** Runs the (possibly slow) {@code Session.close} away from the caller's thread. */
        void closeLater(Runnable r);
    }

    public record Limits(int maxMessages, long maxChars) {
    }

    private static final Object PING = new Object();
    private static final ByteBuffer PING_PAYLOAD = ByteBuffer.allocate(0);
    private static final int PENDING = 0, COMPLETED_INLINE = 1, GONE_ASYNC = 2;

    private final Session session;
    private final RemoteEndpoint.Async remote;
    private final Owner owner;
    private final Limits limits;
    private final boolean v1;
    private final long openedNanos = System.nanoTime();

    private volatile String userId;
    private volatile String event;
    private volatile long lastHeardNanos = openedNanos;

    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queuedMessages = new AtomicInteger();
    private final AtomicLong queuedChars = new AtomicLong();
    private final AtomicBoolean sending = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Who continues after a send: the loop that started it (completed inline) or its completion callback. */
    private final AtomicInteger phase = new AtomicInteger();
    private Object inFlight;
    private long inFlightQueuedNanos;

    public Connection(Session session, Owner owner, Limits limits) {
        this.session = session;
        this.remote = session.getAsyncRemote();
        this.owner = owner;
        this.limits = limits;
        this.v1 = SUBPROTOCOL_V1.equals(session.getNegotiatedSubprotocol());
    }

    public String id() {
        return session.getId();
    }

    public Session session() {
        return session;
    }

    public boolean v1() {
        return v1;
    }

    public String userId() {
        return userId;
    }

    public String event() {
        return event;
    }

    public boolean registered() {
        return userId != null;
    }

    public void registered(String userId, String event) {
        this.event = event;
        this.userId = userId;
    }

    public long openedNanos() {
        return openedNanos;
    }

    public long lastHeardNanos() {
        return lastHeardNanos;
    }

    /** Any frame from the client (text, pong) proves it is alive. */
    public void heard() {
        lastHeardNanos = System.nanoTime();
    }

    public boolean isClosed() {
        return closed.get();
    }

    /** Queues a pushed message. False when the connection is closed or was just closed for overflowing. */
    public boolean send(Delivery d) {
        return enqueue(d, v1 ? d.envelope().length() : d.message.length());
    }

    /** Queues a control text frame (v1 envelopes such as "registered" or "pong"). */
    public boolean sendText(String text) {
        return enqueue(text, text.length());
    }

    /** Queues a WebSocket ping; it travels in order with the text frames, so it never races a send. */
    public void ping() {
        enqueue(PING, 0);
    }

    public int queuedMessages() {
        return queuedMessages.get();
    }

    private boolean enqueue(Object item, int chars) {
        if (closed.get()) return false;
        int n = queuedMessages.incrementAndGet();
        long c = queuedChars.addAndGet(chars);
        if (n > limits.maxMessages() || c > limits.maxChars()) {
            queuedMessages.decrementAndGet();
            queuedChars.addAndGet(-chars);
            close(Disconnect.SLOW_CONSUMER);
            return false;
        }
        queue.add(new Queued(item, chars, System.nanoTime()));
        if (sending.compareAndSet(false, true)) {
            drainHoldingSender();
        }
        return true;
    }

    private record Queued(Object item, int chars, long queuedNanos) {
    }

    /** Caller holds the sender role. Sends until the queue is empty or a send goes asynchronous. */
    private void drainHoldingSender() {
        for (;;) {
            Object next;
            while ((next = queue.poll()) != null) {
                Queued q = (Queued) next;
                queuedMessages.decrementAndGet();
                queuedChars.addAndGet(-q.chars());
                if (closed.get()) continue;
                if (!transmit(q)) return;
            }
            sending.set(false);
            // An enqueue may have seen 'sending' still set just before we released it: take the role back.
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
                failed(e);
            }
            return true;
        }
        String text = item instanceof Delivery d ? (v1 ? d.envelope() : d.message) : (String) item;
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
            if (item instanceof Delivery) owner.sent(this, inFlightQueuedNanos);
        } else {
            failed(result.getException());
        }
        if (!phase.compareAndSet(PENDING, COMPLETED_INLINE)) {
            // The sending loop has already returned: this callback carries on draining.
            drainHoldingSender();
        }
    }

    private void failed(Throwable cause) {
        if (closed.get()) return;
        owner.sendFailed(this, cause);
        close(Disconnect.INTERNAL);
    }

    /** Closes once: drops what is queued, tells the owner, and closes the session off the caller's thread. */
    public void close(CloseReason reason) {
        if (!closed.compareAndSet(false, true)) return;
        queue.clear();
        owner.closing(this, reason);
        owner.closeLater(() -> {
            try {
                if (session.isOpen()) session.close(reason);
            } catch (Exception | Error e) {
                // Already gone: nothing more to do.
            }
        });
    }

    /** The container reported the close (client close frame, network drop, our own close). */
    public boolean markClosed(CloseReason reason) {
        if (!closed.compareAndSet(false, true)) return false;
        queue.clear();
        owner.closing(this, reason);
        return true;
    }

    @Override
    public String toString() {
        return "connection " + id();
    }
}
