package io.wspush.testing;

import io.wspush.connection.ConnectionWriter;
import io.wspush.connection.Connection;
import jakarta.websocket.CloseReason;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A JSR-356 session for unit tests of the writer alone: records frames, and completes sends either inline (as
 * containers do when the socket takes the bytes at once) or when the test says so (a slow socket). It also
 * fails the test if two sends are ever in flight at once, which JSR-356 forbids.
 */
public final class FakeSession {

    public final List<String> sent = new CopyOnWriteArrayList<>();
    public final List<CloseReason> closes = new CopyOnWriteArrayList<>();
    public final AtomicInteger pings = new AtomicInteger();
    public final AtomicInteger inFlight = new AtomicInteger();
    public volatile boolean completeInline = true;
    /** The session's idle timeout, as the container gave it (0: none); {@link #idleTimeoutSets} counts changes. */
    public volatile long maxIdleTimeout;
    public final AtomicInteger idleTimeoutSets = new AtomicInteger();
    private final List<SendHandler> held = new CopyOnWriteArrayList<>();
    public final Session session;

    public FakeSession(String subprotocol) {
        Map<String, Object> props = new ConcurrentHashMap<>();
        RemoteEndpoint.Async async = (RemoteEndpoint.Async) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {RemoteEndpoint.Async.class}, (p, m, a) -> switch (m.getName()) {
                    case "sendText" -> {
                        if (inFlight.incrementAndGet() != 1) throw new AssertionError("concurrent send");
                        sent.add((String) a[0]);
                        SendHandler h = (SendHandler) a[1];
                        if (completeInline) {
                            inFlight.decrementAndGet();
                            h.onResult(new SendResult());
                        } else {
                            held.add(h);
                        }
                        yield null;
                    }
                    case "sendPing" -> {
                        pings.incrementAndGet();
                        yield null;
                    }
                    default -> null;
                });
        session = (Session) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Session.class},
                (p, m, a) -> switch (m.getName()) {
                    case "getAsyncRemote" -> async;
                    case "getNegotiatedSubprotocol" -> subprotocol;
                    case "getId" -> "fake-" + System.identityHashCode(p);
                    case "getUserProperties" -> props;
                    case "getMaxIdleTimeout" -> maxIdleTimeout;
                    case "setMaxIdleTimeout" -> {
                        maxIdleTimeout = (Long) a[0];
                        idleTimeoutSets.incrementAndGet();
                        yield null;
                    }
                    case "isOpen" -> closes.isEmpty();
                    case "close" -> {
                        closes.add(a == null ? new CloseReason(CloseReason.CloseCodes.NORMAL_CLOSURE, "") : (CloseReason) a[0]);
                        yield null;
                    }
                    case "hashCode" -> System.identityHashCode(p);
                    case "equals" -> p == a[0];
                    case "toString" -> "FakeSession";
                    default -> null;
                });
    }

    /** Completes the oldest held send (as a socket draining would), successfully. */
    public void completeOne() {
        SendHandler h = held.remove(0);
        inFlight.decrementAndGet();
        h.onResult(new SendResult());
    }

    public int heldCount() {
        return held.size();
    }

    /** An owner that runs closes inline and records what happened. */
    public static final class Owner implements Connection.Owner {
        public final List<CloseReason> closing = new CopyOnWriteArrayList<>();
        public final AtomicInteger sent = new AtomicInteger();

        @Override
        public void closing(Connection c, CloseReason reason) {
            closing.add(reason);
        }

        @Override
        public void sent(Connection c, long queuedNanos) {
            sent.incrementAndGet();
        }

        @Override
        public void sendFailed(Connection c, Throwable cause) {
        }

        @Override
        public void closeLater(Runnable r) {
            r.run();
        }
    }

    public static Connection connection() {
        return new Connection(new FakeSession(null).session, new Owner(), new ConnectionWriter.Limits(100, 1 << 20));
    }
}
