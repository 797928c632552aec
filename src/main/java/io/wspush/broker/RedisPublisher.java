package io.wspush.broker;

import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.wspush.connection.Sequencer;
import io.wspush.metrics.PushMetrics;
import io.wspush.protocol.Delivery;
import io.wspush.protocol.RegistrationFrame.Since;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The publish path both Redis brokers share (standalone {@link RedisBroker}, {@link RedisClusterBroker}): a push is
 * delivered locally, then published (plain, or through the history script), waiting at most the publish budget with
 * at most {@code publish-max-inflight} in flight ({@link PublishGate}); and the resume of a v1 connection
 * ({@link #sync}). The brokers differ only in how they reach Redis, which they pass in.
 */
final class RedisPublisher {

    private static final Logger LOG = Logger.getLogger(RedisPublisher.class.getName());

    private final PublishGate gate;
    private final RedisHistory history; // null: history off
    private final PushMetrics metrics;
    private final long budgetNanos;
    private final long slowMillis;
    private final long historyTtlMillis;
    private final String origin;

    RedisPublisher(PublishGate gate, RedisHistory history, PushMetrics metrics, Duration budget, Duration slowTimeout,
                   long historyTtlMillis, String origin) {
        this.gate = gate;
        this.history = history;
        this.metrics = metrics;
        this.budgetNanos = budget.toNanos();
        this.slowMillis = slowTimeout.toMillis();
        this.historyTtlMillis = historyTtlMillis;
        this.origin = origin;
    }

    boolean history() {
        return history != null;
    }

    /**
     * Without history: delivers locally, then {@code send}s (PUBLISH or SPUBLISH), answering local connections plus
     * the other nodes Redis reached within the budget. {@code redis} null: unreachable, local only.
     */
    int publish(Broker.LocalNode local, Delivery d, RedisClusterAsyncCommands<String, String> redis,
                Function<RedisClusterAsyncCommands<String, String>, CompletionStage<Long>> send,
                Consumer<Throwable> failed, Predicate<String> selfCounted) {
        return crossNodes(local.deliverLocally(d), redis, send, failed, () -> selfCounted.test(d.userId));
    }

    /**
     * The Redis half of a publish whose local delivery already reached {@code n} connections: sends within the
     * in-flight gate and waits at most the budget for the receiver count. {@code delivered} = {@code n} plus the
     * other nodes reached ({@code selfCounted}: whether Redis's count includes this node).
     */
    int crossNodes(int n, RedisClusterAsyncCommands<String, String> redis,
                   Function<RedisClusterAsyncCommands<String, String>, CompletionStage<Long>> send,
                   Consumer<Throwable> failed, BooleanSupplier selfCounted) {
        if (redis == null) {
            metrics.brokerErrors.increment();
            return n;
        }
        if (!gate.tryEnter()) return n; // shed: counted by the gate
        long started = System.nanoTime();
        CompletableFuture<Long> receivers;
        try {
            receivers = send.apply(redis).toCompletableFuture();
        } catch (RuntimeException e) {
            gate.exit();
            failed.accept(e);
            return n;
        }
        receivers.whenComplete((ok, error) -> {
            gate.exit();
            // A failure after the budget was already counted when the push stopped waiting.
            if (error != null && (budgetNanos == 0 || System.nanoTime() - started <= budgetNanos)) failed.accept(error);
        });
        if (budgetNanos == 0 && !receivers.isDone()) return n; // configured never to wait
        try {
            long others = receivers.get(budgetNanos, TimeUnit.NANOSECONDS) - (selfCounted.getAsBoolean() ? 1 : 0);
            return n + (int) Math.max(0, Math.min(Integer.MAX_VALUE - n, others));
        } catch (TimeoutException e) {
            // Counted, not logged: a brown-out is logged once by the gate, a lost link by the link.
            gate.missedBudget();
            metrics.brokerErrors.increment();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed.accept(e);
        } catch (ExecutionException | RuntimeException e) {
            // counted when it completed
        }
        return n;
    }

    /**
     * With history: one script keeps the push and publishes it with its offset on {@code channel} (see
     * {@link RedisHistory}); then this node's connections get it at once. Resuming connections also get it back
     * through the subscription (their {@link Sequencer} keeps the first). When Redis is unreachable the push is
     * delivered here only, without offset; when the script's answer does not come within the budget it may still
     * run, so only plain connections get it now (resuming ones get it through the subscription if it ran).
     */
    Broker.Published publish(Broker.LocalNode local, Delivery d, String id, String channel,
                             RedisClusterAsyncCommands<String, String> redis, Consumer<Throwable> failed,
                             Predicate<String> selfCounted) {
        if (redis == null) {
            metrics.brokerErrors.increment();
            return new Broker.Published(local.deliverLocally(d, Broker.Route.LOCAL_FAST), 0, null);
        }
        // The same budget and in-flight bound as without history: a slow Redis costs a push at most the budget.
        if (!gate.tryEnter()) return new Broker.Published(local.deliverLocally(d, Broker.Route.UNCERTAIN), 0, null);
        long started = System.nanoTime();
        CompletableFuture<RedisHistory.Pushed> script;
        try {
            script = history.push(redis, d.userId, channel, RedisPayload.push(origin, d).encodeOpen(), id);
        } catch (RuntimeException e) {
            gate.exit();
            failed.accept(e);
            return new Broker.Published(local.deliverLocally(d, Broker.Route.UNCERTAIN), 0, null);
        }
        script.whenComplete((ok, error) -> {
            gate.exit();
            if (error != null && (budgetNanos == 0 || System.nanoTime() - started <= budgetNanos)) failed.accept(error);
        });
        RedisHistory.Pushed pushed;
        try {
            pushed = budgetNanos == 0 && !script.isDone() ? null : script.get(budgetNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            gate.missedBudget();
            metrics.brokerErrors.increment();
            pushed = null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed.accept(e);
            pushed = null;
        } catch (ExecutionException | RuntimeException e) {
            pushed = null; // counted when it completed
        }
        if (pushed == null) return new Broker.Published(local.deliverLocally(d, Broker.Route.UNCERTAIN), 0, null, -1);
        if (pushed.duplicate()) return new Broker.Published(0, pushed.offset(), pushed.epoch());
        int n = local.deliverLocally(d.at(pushed.offset(), pushed.epoch()), Broker.Route.LOCAL_FAST);
        long others = pushed.receivers() - (selfCounted.test(d.userId) ? 1 : 0);
        return new Broker.Published(n + (int) Math.max(0, Math.min(Integer.MAX_VALUE - n, others)), pushed.offset(),
                pushed.epoch(), (int) Math.max(0, Math.min(Integer.MAX_VALUE, others)));
    }

    /**
     * Waits until this node's subscription to the user's channel is confirmed (from then on every push reaches the
     * connection through it), then reads the history atomically: what was pushed up to that read is replayed,
     * what comes after arrives through the subscription. Redis unreachable or slow: not recovered, no position.
     *
     * @param redis      the commands now, null while Redis is unreachable
     * @param subscribed asked once Redis is reachable: completes when this node's subscription is confirmed
     */
    void sync(String userId, Sequencer s, Since since, Supplier<RedisClusterAsyncCommands<String, String>> redis,
              Supplier<CompletableFuture<Void>> subscribed) {
        if (redis.get() == null) { // unreachable: no history to read, and no reason to make the client wait
            metrics.brokerErrors.increment();
            s.unsynced(since != null);
            return;
        }
        subscribed.get().orTimeout(slowMillis, TimeUnit.MILLISECONDS)
                .thenCompose(ok -> {
                    RedisClusterAsyncCommands<String, String> now = redis.get();
                    if (now == null) throw new IllegalStateException("redis unreachable");
                    long sinceOffset = since == null ? -1 : since.offset();
                    return history.read(now, userId, sinceOffset).orTimeout(slowMillis, TimeUnit.MILLISECONDS);
                })
                .whenComplete((snap, error) -> {
                    if (error != null) {
                        metrics.brokerErrors.increment();
                        if (LOG.isLoggable(Level.FINE)) {
                            LOG.fine("wspush redis broker: resume of " + userId + " without history: " + RedisLink.reason(error));
                        }
                        s.unsynced(since != null);
                        return;
                    }
                    Boolean recovered = Recovery.recovered(since, snap.epoch(), snap.offset(), snap.after(),
                            System.currentTimeMillis() - historyTtlMillis);
                    s.synced(recovered, snap.epoch(), snap.offset(), Boolean.TRUE.equals(recovered) ? snap.after() : List.of());
                });
    }
}
