package io.wspush.connection;

import io.wspush.protocol.Delivery;
import io.wspush.protocol.Disconnect;
import io.wspush.protocol.Envelopes;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One WebSocket connection: who it is (user, event filter, protocol), when it was last heard from, and whether it
 * is closed. Its frames go out through its {@link ConnectionWriter}; a client that does not keep up is closed
 * ({@link Disconnect#SLOW_CONSUMER}) instead of holding memory or threads.
 */
public final class Connection {

    /** What the connection needs from the socket side around it. */
    public interface Owner {
        /** Called once, the moment wspush decides to close or learns the connection is gone. */
        void closing(Connection c, CloseReason reason);

        void sent(Connection c, long queuedNanos);

        void sendFailed(Connection c, Throwable cause);

        /** Runs the (possibly slow) {@code Session.close} away from the caller's thread. */
        void closeLater(Runnable r);
    }

    private final Session session;
    private final Owner owner;
    private final ConnectionWriter writer;
    private final boolean v1;
    private final long openedNanos = System.nanoTime();
    private final AtomicBoolean closed = new AtomicBoolean();

    private volatile String userId;
    private volatile String event;
    private volatile long lastHeardNanos = openedNanos;
    /** Registration thread only. */
    private boolean heldForRegistration;
    /** The token's {@code iat} in epoch seconds; MIN_VALUE when it had none (older than any revocation). */
    private volatile long issuedAtSecond = Long.MIN_VALUE;
    /** The token's {@code exp} in epoch ms; MAX_VALUE when it had none (never expires). Read by the sweep. */
    private volatile long expiresAtMillis = Long.MAX_VALUE;
    private volatile Sequencer sequencer;

    public Connection(Session session, Owner owner, ConnectionWriter.Limits limits) {
        this.session = session;
        this.owner = owner;
        this.v1 = Envelopes.SUBPROTOCOL.equals(session.getNegotiatedSubprotocol());
        this.writer = new ConnectionWriter(session.getAsyncRemote(), v1, limits, new WriterEvents());
    }

    public String id() {
        return session.getId();
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

    /** Remembers the registering token's {@code iat} (null: none), so a revocation closes only older tokens. */
    public void tokenIssuedAt(java.time.Instant iat) {
        issuedAtSecond = iat == null ? Long.MIN_VALUE : iat.getEpochSecond();
    }

    /** Remembers the token's {@code exp} (null: none) for the sweep's expiry check; a refresh moves it. */
    public void tokenExpiresAt(java.time.Instant exp) {
        expiresAtMillis = exp == null ? Long.MAX_VALUE : exp.toEpochMilli();
    }

    /** The connection's token {@code exp} in epoch ms, {@code Long.MAX_VALUE} when it has none. */
    public long tokenExpiresAtMillis() {
        return expiresAtMillis;
    }

    /** Whether a revocation up to this moment covers the connection's token (same second counts as older). */
    public boolean tokenIssuedUpTo(long revokedUpToEpochMillis) {
        return issuedAtSecond <= Math.floorDiv(revokedUpToEpochMillis, 1000L);
    }

    /** The resume state of a {@code wspush.v1} connection while history is on; null otherwise (see {@link Sequencer}). */
    public Sequencer sequencer() {
        return sequencer;
    }

    /** Set before the connection is registered, so no push reaches it around the sequencer. */
    public void sequencer(Sequencer s) {
        this.sequencer = s;
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
        return writer.offer(d, d.frame(v1).length());
    }

    /**
     * Queues {@code text} as the next frame and holds back everything offered after it until {@link #release}: the
     * "registered" envelope is queued this way before the connection becomes visible to pushes, so it is always the
     * client's first frame.
     */
    public void holdWith(String text) {
        boolean held = writer.hold();
        writer.offer(text, text.length());
        if (!held) return; // something was in flight (never before registration): plain queue order still holds
        heldForRegistration = true;
    }

    /** Lets the frames held back by {@link #holdWith} go. */
    public void release() {
        if (!heldForRegistration) return;
        heldForRegistration = false;
        writer.release();
    }

    /** Queues a control text frame (v1 envelopes such as "registered" or "pong"). */
    public boolean sendText(String text) {
        return writer.offer(text, text.length());
    }

    /**
     * Queues a WebSocket ping; it travels in order with the text frames, so it never races a send, and is written
     * on the node's pinger pool, never on the caller's thread (see {@link ConnectionWriter}).
     */
    public void ping() {
        writer.offer(ConnectionWriter.PING, 0);
    }

    /** A ping has waited longer than {@code timeoutNanos} to be written: the peer is not reading. */
    public boolean pingOverdue(long nowNanos, long timeoutNanos) {
        return writer.pingOverdue(nowNanos, timeoutNanos);
    }

    public int queuedMessages() {
        return writer.queuedMessages();
    }

    /** Closes once: drops what is queued, tells the owner, and closes the session off the caller's thread. */
    public void close(CloseReason reason) {
        if (!closed.compareAndSet(false, true)) return;
        writer.stop();
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
        writer.stop();
        owner.closing(this, reason);
        return true;
    }

    @Override
    public String toString() {
        return "connection " + id();
    }

    private final class WriterEvents implements ConnectionWriter.Events {
        @Override
        public void sent(long queuedNanos) {
            owner.sent(Connection.this, queuedNanos);
        }

        @Override
        public void failed(Throwable cause) {
            if (closed.get()) return;
            owner.sendFailed(Connection.this, cause);
            close(Disconnect.INTERNAL);
        }

        @Override
        public void overflowed() {
            close(Disconnect.SLOW_CONSUMER);
        }
    }
}
