package io.wspush.broker;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * Operator disconnects that could not be published when they happened (Redis down or too slow), held and sent
 * again, one at a time and in order, once Redis answers. Pub/sub only reaches nodes subscribed at that moment:
 * after an outage every node reconnects within one backoff period (plus a connect), so held disconnects wait that
 * long after a reconnect before they go out. Bounded: past {@code max} the oldest are dropped (and logged once);
 * one older than the revocation TTL is no longer worth sending.
 *
 * <p>{@link #hold} may be called on any thread; the rest runs on the link's thread.
 */
final class HeldDisconnects {

    private static final Logger LOG = Logger.getLogger(HeldDisconnects.class.getName());

    private record Held(String payload, long atMillis) {
    }

    private final RedisLink link;
    private final BiFunction<RedisLink.Pair, String, CompletionStage<?>> send;
    private final int max;
    private final Duration ttl;
    private final Runnable onError;
    private final ConcurrentLinkedDeque<Held> held = new ConcurrentLinkedDeque<>();
    private final AtomicInteger count = new AtomicInteger();
    private final AtomicBoolean dropLogged = new AtomicBoolean();

    // ---- link thread only ----
    private boolean flushing;
    private long notBeforeNanos;

    /**
     * @param send    sends a payload over a pair (stores the revocation and publishes it)
     * @param onError counts a send that failed (it stays held)
     */
    HeldDisconnects(RedisLink link, BiFunction<RedisLink.Pair, String, CompletionStage<?>> send, int max,
                    Duration ttl, Runnable onError) {
        this.link = link;
        this.send = send;
        this.max = max;
        this.ttl = ttl;
        this.onError = onError;
    }

    /** Keeps a disconnect's payload until it can be published (any thread). */
    void hold(String payload, long atMillis) {
        held.addLast(new Held(payload, atMillis));
        if (count.incrementAndGet() > max) {
            if (held.pollFirst() != null) count.decrementAndGet();
            if (dropLogged.compareAndSet(false, true)) {
                LOG.warning("wspush redis: more than " + max + " operator disconnects wait for Redis; the oldest "
                        + "are dropped");
            }
        }
    }

    /** A new pair is up: the other nodes need {@code settle} to be listening again. */
    void reconnected(Duration settle) {
        notBeforeNanos = System.nanoTime() + settle.toNanos();
    }

    /** Sends the oldest held disconnect, and the next when that one is through (link thread). */
    void flush(RedisLink.Pair p) {
        if (flushing || link.pair() != p || System.nanoTime() - notBeforeNanos < 0) return;
        Held h = held.pollFirst();
        if (h == null) return;
        count.decrementAndGet();
        if (h.atMillis() < System.currentTimeMillis() - ttl.toMillis()) {
            flush(p); // older than any token should live: no longer worth sending
            return;
        }
        flushing = true;
        CompletionStage<?> sent;
        try {
            sent = send.apply(p, h.payload());
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.toCompletableFuture()
                .whenCompleteAsync((v, error) -> {
                    flushing = false;
                    if (error != null) {
                        held.addFirst(h);
                        count.incrementAndGet();
                        onError.run();
                    } else {
                        flush(p);
                    }
                }, link.executor());
    }

    int size() {
        return count.get();
    }
}
