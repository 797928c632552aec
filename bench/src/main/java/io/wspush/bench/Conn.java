package io.wspush.bench;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One WebSocket connection of the load tool and what it received. The JDK calls a listener's methods one at a time
 * per WebSocket, but from varying pool threads, so the per-connection state is guarded by this object's monitor.
 */
final class Conn implements WebSocket.Listener {

    final int id;
    final int user;
    final Stats stats;
    /** Completes when the server confirmed the registration (wspush.v1) or the registration frame went out (plain). */
    final CompletableFuture<Void> registered = new CompletableFuture<>();

    volatile WebSocket ws;
    volatile int closeCode = -1;
    volatile boolean open;
    /** Set once the handshake and registration succeeded within the connect timeout. */
    volatile boolean connected;
    long startNanos;

    private StringBuilder partial;
    private final BitSet seen = new BitSet();
    private int received;
    private int duplicates;
    private int misrouted;

    Conn(int id, int user, Stats stats) {
        this.id = id;
        this.user = user;
        this.stats = stats;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        open = true;
        // Unbounded demand: the listener never blocks and never keeps the CharSequence, so no per-frame request(1).
        webSocket.request(Long.MAX_VALUE);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        long now = System.nanoTime();
        String text;
        synchronized (this) {
            if (!last) {
                if (partial == null) partial = new StringBuilder();
                partial.append(data);
                return null;
            }
            if (partial != null) {
                text = partial.append(data).toString();
                partial = null;
            } else {
                text = data.toString();
            }
        }
        if (stats.v1) {
            onEnvelope(text, now);
        } else {
            onMessage(text, now, -1);
        }
        return null;
    }

    private void onEnvelope(String text, long now) {
        String type = LoadTool.jsonField(text, "type");
        if ("message".equals(type)) {
            String ts = LoadTool.jsonField(text, "ts");
            long tsMillis = -1;
            try {
                if (ts != null) tsMillis = Long.parseLong(ts);
            } catch (NumberFormatException ignored) {
                // reported as an unparsable field below only if the message itself is bad
            }
            String msg = LoadTool.jsonField(text, "message");
            if (msg == null) {
                stats.unparsable.increment();
            } else {
                onMessage(msg, now, tsMillis);
            }
        } else if ("registered".equals(type)) {
            registered.complete(null);
        } else if ("ping".equals(type)) {
            stats.pings.increment();
        } else {
            stats.otherFrames.increment();
        }
    }

    /** @param tsMillis the server's accept time from a v1 envelope, -1 for plain clients */
    private void onMessage(String msg, long now, long tsMillis) {
        if (msg.startsWith("probe")) {
            stats.probes.increment();
            return;
        }
        // "t=<tool nanoTime at send>;seq=<n>"
        long t;
        long seq;
        try {
            int semi = msg.indexOf(';');
            if (!msg.startsWith("t=") || semi < 0 || !msg.startsWith("seq=", semi + 1)) throw new NumberFormatException();
            int end = msg.indexOf(';', semi + 1);
            t = Long.parseLong(msg, 2, semi, 10);
            seq = Long.parseLong(msg, semi + 5, end < 0 ? msg.length() : end, 10);
            if (end > 0 && msg.startsWith("k=", end + 1)) {
                // A multicast of pushes seq..seq+k-1 (users seq % U ..): this user's own push number among them.
                long k = Long.parseLong(msg, end + 3, msg.length(), 10);
                long own = Math.floorMod(user - seq, (long) stats.users);
                seq = own < k ? seq + own : -1; // -1: not addressed to this user (counted as misrouted)
            }
        } catch (NumberFormatException e) {
            stats.unparsable.increment();
            return;
        }
        stats.latencyMicros.record((now - t) / 1000);
        if (tsMillis > 0) stats.acceptToReceiveMicros.record(System.currentTimeMillis() * 1000 - tsMillis * 1000);
        stats.received.increment();
        stats.lastReceiveNanos.accumulateAndGet(now, Math::max);
        synchronized (this) {
            if (seq < 0 || seq % stats.users != user) {
                misrouted++;
                return;
            }
            int idx = (int) (seq / stats.users);
            if (seen.get(idx)) {
                duplicates++;
            } else {
                seen.set(idx);
                received++;
            }
        }
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        stats.otherFrames.increment();
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        open = false;
        closeCode = statusCode;
        stats.closeCodes.computeIfAbsent(statusCode + (reason == null || reason.isEmpty() ? "" : " " + reason),
                k -> new java.util.concurrent.atomic.LongAdder()).increment();
        registered.completeExceptionally(new IllegalStateException("closed " + statusCode + " " + reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        open = false;
        stats.errors.computeIfAbsent(error.getClass().getSimpleName(), k -> new java.util.concurrent.atomic.LongAdder()).increment();
        registered.completeExceptionally(error);
    }

    synchronized int received() {
        return received;
    }

    synchronized int duplicates() {
        return duplicates;
    }

    synchronized int misrouted() {
        return misrouted;
    }

    /** Whether the message with this push sequence number arrived here. */
    synchronized boolean got(long seq) {
        return seq % stats.users == user && seen.get((int) (seq / stats.users));
    }
}
