package io.wspush.broker;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Keeps this node's Redis subscriptions converging to "subscribed to a user's channel iff the node holds the user".
 *
 * <p>{@code userArrived}/{@code userLeft} may race for one user on different threads and arrive out of order, so
 * they are treated as hints only: {@link #changed} marks the user, and a reconcile pass on the broker's single
 * thread compares the current truth ({@code holds}) with what Redis confirmed and sends the one command that closes
 * the gap. A user has at most one command in flight; when it completes the user is checked again, so a change made
 * meanwhile is never lost. Commands are batched (one SUBSCRIBE for many users) and never wait: completions come
 * back to the broker thread.
 *
 * <p>All state except {@link #pending} and {@link #subscribed} belongs to the broker thread ({@code executor}); the
 * methods other than {@link #changed} and {@link #isSubscribed} must run on it.
 */
final class RedisSubscriptions {

    /** The current Redis connection's subscribe/unsubscribe, taking userIds. Completes when Redis confirmed. */
    interface Commands {
        CompletionStage<?> subscribe(List<String> userIds);

        CompletionStage<?> unsubscribe(List<String> userIds);
    }

    static final int BATCH = 500;

    private final Predicate<String> holds;
    private final Executor executor;
    private final Consumer<Throwable> onFailure;
    private final int batch;

    /** Users to look at on the next pass (any thread adds). */
    private final Set<String> pending = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    /** Users whose channel Redis confirmed on the current connection (read by publishing threads). */
    private final Set<String> subscribed = ConcurrentHashMap.newKeySet();
    /** Completed when the user's subscription is confirmed (resuming connections wait for it; any thread adds). */
    private final ConcurrentHashMap<String, CompletableFuture<Void>> waiters = new ConcurrentHashMap<>();

    // ---- broker thread only ----
    /** Users this node may hold: everyone marked and not yet found gone. Resubscribed after a reconnect. */
    private final Set<String> tracked = new HashSet<>();
    private final Set<String> inFlight = new HashSet<>();
    private final Set<String> failed = new HashSet<>();
    private Commands redis;
    private long epoch;

    RedisSubscriptions(Predicate<String> holds, Executor executor, Consumer<Throwable> onFailure) {
        this(holds, executor, onFailure, BATCH);
    }

    RedisSubscriptions(Predicate<String> holds, Executor executor, Consumer<Throwable> onFailure, int batch) {
        this.holds = holds;
        this.executor = executor;
        this.onFailure = onFailure;
        this.batch = batch;
    }

    /** The user's first connection arrived or its last one left (any thread, never blocks). */
    void changed(String userId) {
        pending.add(userId);
        scheduleDrain();
    }

    /** Whether Redis confirmed this node's subscription to the user's channel (any thread). */
    boolean isSubscribed(String userId) {
        return subscribed.contains(userId);
    }

    /**
     * Completes once Redis confirmed this node's subscription to the user's channel (at once if it already did):
     * from then on every push of the user reaches this node through it. Never completes while Redis is
     * unreachable: callers bound the wait.
     */
    CompletableFuture<Void> whenSubscribed(String userId) {
        CompletableFuture<Void> f = waiters.computeIfAbsent(userId, u -> new CompletableFuture<>());
        try {
            // On the broker thread: "subscribed" only counts with no command in flight (an UNSUBSCRIBE may be).
            executor.execute(() -> {
                if (subscribed.contains(userId) && !inFlight.contains(userId) && waiters.remove(userId, f)) f.complete(null);
            });
        } catch (RejectedExecutionException closed) {
            f.completeExceptionally(closed);
        }
        return f.copy();
    }

    /** A fresh connection with no subscriptions yet: subscribe every user this node holds. */
    void connected(Commands commands) {
        epoch++;
        redis = commands;
        subscribed.clear();
        inFlight.clear();
        failed.clear();
        pending.addAll(tracked);
        drain();
    }

    /** The connection is gone, and its subscriptions with it. Users stay tracked for the next {@link #connected}. */
    void disconnected() {
        epoch++;
        redis = null;
        subscribed.clear();
        inFlight.clear();
        failed.clear();
    }

    /** Tries again the users whose command failed (called on the broker's timer, so failures never spin). */
    void retryFailed() {
        if (failed.isEmpty()) return;
        pending.addAll(failed);
        failed.clear();
        drain();
    }

    private void scheduleDrain() {
        if (drainScheduled.compareAndSet(false, true)) {
            try {
                executor.execute(this::drain);
            } catch (RejectedExecutionException closed) {
                drainScheduled.set(false);
            }
        }
    }

    /** One reconcile pass over the pending users. */
    void drain() {
        drainScheduled.set(false);
        List<String> subscribe = new ArrayList<>();
        List<String> unsubscribe = new ArrayList<>();
        for (Iterator<String> it = pending.iterator(); it.hasNext(); ) {
            String user = it.next();
            it.remove();
            if (inFlight.contains(user)) continue; // looked at again when its command completes
            boolean want = holds.test(user);
            boolean have = subscribed.contains(user);
            if (!want) waiters.remove(user); // its waiters time out; nothing to wait for any more
            if (want) tracked.add(user);
            else if (!have) tracked.remove(user);
            if (redis == null) continue;
            if (want && !have) subscribe.add(user);
            else if (!want && have) unsubscribe.add(user);
        }
        send(subscribe, true);
        send(unsubscribe, false);
    }

    private void send(List<String> users, boolean subscribe) {
        for (int from = 0; from < users.size(); from += batch) {
            List<String> part = List.copyOf(users.subList(from, Math.min(users.size(), from + batch)));
            inFlight.addAll(part);
            long sentEpoch = epoch;
            CompletionStage<?> reply;
            try {
                reply = subscribe ? redis.subscribe(part) : redis.unsubscribe(part);
            } catch (RuntimeException e) {
                reply = CompletableFuture.failedFuture(e);
            }
            try {
                reply.whenCompleteAsync((ok, error) -> completed(sentEpoch, part, subscribe, error), executor);
            } catch (RejectedExecutionException closed) {
                return;
            }
        }
    }

    private void completed(long sentEpoch, List<String> users, boolean subscribe, Throwable error) {
        if (sentEpoch != epoch) return; // that connection is gone; connected() resyncs everyone on the next one
        for (String user : users) {
            inFlight.remove(user);
            if (error != null) {
                failed.add(user);
            } else {
                if (subscribe) {
                    subscribed.add(user);
                    CompletableFuture<Void> waiting = waiters.remove(user);
                    if (waiting != null) waiting.complete(null);
                } else {
                    subscribed.remove(user);
                }
                pending.add(user); // the truth may have changed while the command was out
            }
        }
        if (error != null) onFailure.accept(error);
        if (!pending.isEmpty()) drain();
    }

    /** For tests and health details: users tracked, commands in flight, failed users awaiting retry. */
    String describe() {
        return "tracked=" + tracked.size() + " subscribed=" + subscribed.size() + " inFlight=" + inFlight.size()
                + " failed=" + failed.size() + " pending=" + pending.size();
    }
}
