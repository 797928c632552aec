package io.wspush.broker;

import io.micrometer.core.instrument.Counter;
import io.wspush.metrics.PushMetrics;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Keeps a slow-but-alive Redis from throttling pushes: at most {@code max} PUBLISHes are in flight (one more is
 * shed, not queued, so payloads never pile up in the client's command queue), and the node reports a brown-out
 * (for /health and metrics) while publishes are shed or stuck, and for {@link #HOLD} after.
 *
 * <p>{@link #tryEnter}/{@link #exit} run on any thread; {@link #tick} on the link's thread.
 */
final class PublishGate {

    private static final Logger LOG = Logger.getLogger(PublishGate.class.getName());

    /** How long the brown-out is still reported after its last sign, so /health does not flap per push. */
    static final Duration HOLD = Duration.ofSeconds(5);

    private final int max;
    private final Duration budget;
    private final AtomicInteger inflight = new AtomicInteger();
    private final AtomicLong completions = new AtomicLong();
    private final Counter slow;
    private final Counter shed;
    /** System.nanoTime() of the last sign of trouble; 0 = never. */
    private volatile long troubleNanos;
    private volatile String trouble;

    // ---- link thread only ----
    private long completionsAtLastTick = -1;
    private boolean busyAtLastTick;

    PublishGate(int max, Duration budget, PushMetrics metrics) {
        this.max = max;
        this.budget = budget;
        this.slow = metrics.counter("wspush.broker.slow",
                "Pushes whose cross-node publish did not answer within wspush.redis.publish-budget");
        this.shed = metrics.counter("wspush.broker.shed",
                "Cross-node publishes not sent: wspush.redis.publish-max-inflight were already waiting for Redis");
        metrics.gauge("wspush.broker.inflight", "Cross-node publishes waiting for Redis", inflight::get);
        metrics.gauge("wspush.broker.brownout", "1 while Redis answers too slowly (publishes shed or stuck), else 0",
                () -> problem() == null ? 0 : 1);
    }

    /** @return false when the bound is reached: the publish is shed (and counted) */
    boolean tryEnter() {
        while (true) {
            int n = inflight.get();
            if (n >= max) {
                shed.increment();
                sign("publishes shed: " + max + " already wait for Redis");
                return false;
            }
            if (inflight.compareAndSet(n, n + 1)) return true;
        }
    }

    /** A publish completed (answered, failed or timed out in the client). */
    void exit() {
        completions.incrementAndGet();
        inflight.decrementAndGet();
    }

    /** A push stopped waiting for its publish after the budget. */
    void missedBudget() {
        slow.increment();
    }

    int inflight() {
        return inflight.get();
    }

    /** Every link tick: a publish in flight across a whole tick with none completing means Redis is stuck. */
    void tick() {
        long done = completions.get();
        boolean busy = inflight.get() > 0;
        if (busy && busyAtLastTick && done == completionsAtLastTick) {
            sign("publishes unanswered for over " + RedisLink.TICK_MILLIS + " ms");
        }
        busyAtLastTick = busy;
        completionsAtLastTick = done;
    }

    private void sign(String what) {
        boolean started = problem() == null;
        trouble = what;
        long now = System.nanoTime();
        troubleNanos = now == 0 ? 1 : now;
        if (started) {
            // Once per brown-out (racing threads may both see it start: at most a line more).
            LOG.warning("wspush redis broker: Redis answers too slowly (" + what + "); pushes deliver locally and "
                    + "wait at most " + budget.toMillis() + " ms for other nodes. See wspush_broker_slow_total, "
                    + "wspush_broker_shed_total, wspush_broker_inflight.");
        }
    }

    /** Null unless browned out; then a reason for /health. */
    String problem() {
        long t = troubleNanos;
        if (t == 0 || System.nanoTime() - t > HOLD.toNanos()) return null;
        return "redis slow (" + trouble + "); pushes deliver locally and wait at most " + budget.toMillis()
                + " ms for other nodes";
    }
}
