package io.wspush.broker;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.wspush.config.Config;
import io.wspush.metrics.PushMetrics;
import io.wspush.connection.Sequencer;
import io.wspush.protocol.Delivery;
import io.wspush.protocol.RegistrationFrame.Since;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Several wspush nodes share pushes through Redis pub/sub ({@code wspush.broker=redis}, {@code wspush.redis.uri}).
 *
 * <ul>
 *   <li>Each node subscribes to {@code wspush:u:{userId}} only while it holds a connection of that user
 *       ({@link RedisSubscriptions} keeps this converging under racing arrivals and departures), and always to
 *       {@code wspush:control}.</li>
 *   <li>{@link #publish} delivers to this node's connections at once, then PUBLISHes to the user's channel and waits
 *       at most {@code wspush.redis.publish-budget} for the reply. {@code delivered} = local connections + other
 *       nodes that hold the user (PUBLISH's receiver count, minus this node when it is itself subscribed), as far as
 *       Redis answered within the budget. At most {@code wspush.redis.publish-max-inflight} publishes wait for Redis
 *       at once; beyond that they are shed ({@link PublishGate}).</li>
 *   <li>{@link #disconnect} closes local connections, stores the revocation in Redis and PUBLISHes to the control
 *       channel in one script ({@link RedisRevocations}); every node (also those not holding the user) applies it,
 *       and a node loads all stored revocations whenever its link comes up, so a restarted or new node knows them
 *       too. One that cannot be sent is held ({@link HeldDisconnects}).</li>
 *   <li>Faults: the {@link RedisLink} reconnects in the background; meanwhile local delivery goes on and
 *       {@link #problem()} says why. On every new link all users held are resubscribed.</li>
 * </ul>
 */
public final class RedisBroker implements Broker, RedisLink.Listener {

    private static final Logger LOG = Logger.getLogger(RedisBroker.class.getName());

    static final String CONTROL_CHANNEL = "wspush:control";
    static final String USER_CHANNEL_PREFIX = "wspush:u:";
    static final String NODE_CHANNEL_PREFIX = "wspush:node:";

    /** Connects, handshakes, SUBSCRIBE and PING may take this long (pushes never wait more than redis.timeout). */
    private static final Duration MIN_SLOW_TIMEOUT = Duration.ofSeconds(2);
    private static final int MAX_HELD_DISCONNECTS = 10_000;

    /** The channel of reports meant for one node (receipts), named by the node's origin. */
    static String nodeChannel(String origin) {
        return NODE_CHANNEL_PREFIX + origin;
    }

    /** The channel of a user's pushes. The braces make the userId a Redis Cluster hash tag. */
    static String userChannel(String userId) {
        return USER_CHANNEL_PREFIX + "{" + userId + "}";
    }

    private final long timeoutNanos;
    private final long revocationTtlMillis;
    private final Duration slowTimeout;
    private final PushMetrics metrics;
    private final String origin;
    private final RedisLink link;
    private final HeldDisconnects held;
    private final AtomicBoolean malformedLogged = new AtomicBoolean();
    private final long budgetNanos;
    private final PublishGate gate;
    private final RedisRevocations stored;
    /** Whether the stored revocations were loaded over the current link (false: not yet, or lost). */
    private volatile boolean revocationsLoaded;
    private final CompletableFuture<Void> firstLoad = new CompletableFuture<>();
    // ---- link thread only ----
    private boolean loading;
    private long linkEpoch;
    private final RedisHistory history; // null: history off
    private final RedisPublisher publisher;

    private LocalNode local;
    private RedisSubscriptions subscriptions;

    public RedisBroker(Config config, PushMetrics metrics, ThreadFactory threads) {
        RedisURI uri;
        try {
            uri = RedisURI.create(config.redisUri());
        } catch (RuntimeException e) {
            // Neither the value nor the parser's message (which quotes it) is shown: it may hold a password.
            throw new IllegalStateException("wspush.redis.uri is not a valid Redis URI (expected e.g. "
                    + "redis://127.0.0.1:6379 or redis://:password@host:6379)");
        }
        Duration timeout = config.redisTimeout();
        this.slowTimeout = timeout.compareTo(MIN_SLOW_TIMEOUT) > 0 ? timeout : MIN_SLOW_TIMEOUT;
        uri.setTimeout(slowTimeout);
        this.timeoutNanos = timeout.toNanos();
        this.metrics = metrics;
        byte[] suffix = new byte[4];
        new SecureRandom().nextBytes(suffix);
        // A per-start suffix: two nodes misconfigured with the same wspush.node.id must not skip each other's pushes.
        this.revocationTtlMillis = config.revocationTtl().toMillis();
        this.origin = config.nodeId() + "#" + HexFormat.of().formatHex(suffix);
        this.link = new RedisLink(uri, slowTimeout, threads, new Incoming(), this, CONTROL_CHANNEL,
                nodeChannel(origin));
        this.stored = new RedisRevocations(CONTROL_CHANNEL, config.revocationTtl());
        this.held = new HeldDisconnects(link, (p, payload) -> {
            RedisPayload d = RedisPayload.decode(payload);
            return stored.write(p.pub.async(), d.userId(), d.at(), payload);
        }, MAX_HELD_DISCONNECTS, config.revocationTtl(), metrics.brokerErrors::increment);
        this.budgetNanos = config.redisPublishBudget().toNanos();
        this.gate = new PublishGate(config.redisPublishMaxInflight(), config.redisPublishBudget(), metrics);
        this.history = config.history() ? new RedisHistory(config.historySize(), config.historyTtl().toMillis()) : null;
        this.publisher = new RedisPublisher(gate, history, metrics, config.redisPublishBudget(), slowTimeout,
                config.historyTtl().toMillis(), origin);
    }

    @Override
    public void start(LocalNode local) {
        this.local = local;
        // Decoding once here loads the JSON-P provider on a web application thread, before Lettuce's threads need it.
        RedisPayload.decode(RedisPayload.disconnect("warm-up", "-", 0).encode());
        this.subscriptions = new RedisSubscriptions(local::holdsLocally, link.executor(), this::subscriptionFailed);
        link.start();
        if (link.pair() != null) {
            // A healthy deployment starts knowing every stored revocation; a slow load finishes in the background.
            try {
                firstLoad.get(slowTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // reported by problem() until a load succeeds
            }
        }
    }

    // ---- pushes and disconnects ----

    @Override
    public int publish(Delivery d) {
        RedisLink.Pair p = link.pair();
        return publisher.publish(local, d, p == null ? null : p.pub.async(),
                redis -> redis.publish(userChannel(d.userId), RedisPayload.push(origin, d).encode()),
                e -> failed(p, "publish", e), this::selfCounted);
    }

    /**
     * A multicast or batch: every user's PUBLISH (or history script) is sent before any answer is awaited, so
     * Lettuce pipelines them on the one connection and the batch costs about one round trip, not one per user.
     * Each still passes the in-flight gate (beyond it that user's publish is shed, as a single push would be), and
     * the whole batch waits at most one publish budget: what has not answered by then is treated as a single
     * push that missed the budget.
     */
    @Override
    public Published[] publishMany(List<Delivery> ds, List<String> ids) {
        int size = ds.size();
        if (size == 1) return new Published[]{publish(ds.get(0), ids == null ? null : ids.get(0))};
        Published[] out = new Published[size];
        RedisLink.Pair p = link.pair();
        if (p == null) {
            metrics.brokerErrors.increment();
            for (int i = 0; i < size; i++) {
                Delivery d = ds.get(i);
                out[i] = new Published(history == null ? local.deliverLocally(d) : local.deliverLocally(d, Route.LOCAL_FAST), 0, null);
            }
            return out;
        }
        int[] here = new int[size];
        @SuppressWarnings("unchecked")
        CompletableFuture<Object>[] sent = new CompletableFuture[size];
        long started = System.nanoTime();
        for (int i = 0; i < size; i++) {
            Delivery d = ds.get(i);
            // Without history this node's connections get it at once, as with a single push.
            if (history == null) here[i] = local.deliverLocally(d);
            if (!gate.tryEnter()) continue; // shed: counted by the gate
            CompletableFuture<?> f;
            try {
                f = history == null
                        ? p.pub.async().publish(userChannel(d.userId), RedisPayload.push(origin, d).encode()).toCompletableFuture()
                        : history.push(p.pub.async(), d.userId, userChannel(d.userId), RedisPayload.push(origin, d).encodeOpen(),
                        ids == null ? null : ids.get(i));
            } catch (RuntimeException e) {
                gate.exit();
                failed(p, "publish", e);
                continue;
            }
            f.whenComplete((ok, error) -> {
                gate.exit();
                if (error != null && (budgetNanos == 0 || System.nanoTime() - started <= budgetNanos)) {
                    failed(p, "publish", error);
                }
            });
            @SuppressWarnings("unchecked")
            CompletableFuture<Object> any = (CompletableFuture<Object>) f;
            sent[i] = any;
        }
        long deadline = started + budgetNanos;
        boolean missed = false;
        for (int i = 0; i < size; i++) {
            Delivery d = ds.get(i);
            Object answer = null;
            CompletableFuture<Object> f = sent[i];
            if (f != null && (budgetNanos > 0 || f.isDone())) {
                try {
                    answer = f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    gate.missedBudget();
                    metrics.brokerErrors.increment();
                    missed = true;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failed(p, "publish", e);
                } catch (ExecutionException | RuntimeException e) {
                    // counted when it completed
                }
            }
            if (history == null) {
                int n = here[i];
                if (answer instanceof Long receivers) {
                    long others = receivers - (selfCounted(d.userId) ? 1 : 0);
                    n += (int) Math.max(0, Math.min(Integer.MAX_VALUE - n, others));
                }
                out[i] = new Published(n, 0, null);
            } else if (!(answer instanceof RedisHistory.Pushed pushed)) {
                out[i] = new Published(local.deliverLocally(d, Route.UNCERTAIN), 0, null);
            } else if (pushed.duplicate()) {
                out[i] = new Published(0, pushed.offset(), pushed.epoch());
            } else {
                int n = local.deliverLocally(d.at(pushed.offset(), pushed.epoch()), Route.LOCAL_FAST);
                long others = pushed.receivers() - (selfCounted(d.userId) ? 1 : 0);
                out[i] = new Published(n + (int) Math.max(0, Math.min(Integer.MAX_VALUE - n, others)), pushed.offset(), pushed.epoch());
            }
        }
        if (missed && LOG.isLoggable(Level.FINE)) LOG.fine("wspush redis broker: a batch of " + size + " missed the publish budget");
        return out;
    }

    /**
     * A broadcast: this node's connections at once, the other nodes by one PUBLISH on the control channel (every
     * node subscribes to it), within the same budget and in-flight bound as a push. Not kept in history.
     */
    @Override
    public int broadcast(Delivery d) {
        RedisLink.Pair p = link.pair();
        // This node is subscribed to the control channel whenever the link is up: Redis's count includes it.
        return publisher.crossNodes(local.broadcastLocally(d), p == null ? null : p.pub.async(),
                redis -> redis.publish(CONTROL_CHANNEL, RedisPayload.broadcast(origin, d).encode()),
                e -> failed(p, "publish", e), () -> true);
    }

    /** With history: see {@link RedisPublisher}. */
    @Override
    public Published publish(Delivery d, String id) {
        if (!publisher.history()) return new Published(publish(d), 0, null);
        RedisLink.Pair p = link.pair();
        return publisher.publish(local, d, id, userChannel(d.userId), p == null ? null : p.pub.async(),
                e -> failed(p, "publish", e), this::selfCounted);
    }

    /** Resumes a v1 connection: see {@link RedisPublisher#sync}. */
    @Override
    public void sync(String userId, Sequencer s, Since since) {
        if (!publisher.history()) {
            Broker.super.sync(userId, s, since);
            return;
        }
        publisher.sync(userId, s, since, () -> {
            RedisLink.Pair p = link.pair();
            return p == null ? null : p.pub.async();
        }, () -> subscriptions.whenSubscribed(userId));
    }

    @Override
    public int disconnect(String userId, long revokedAtEpochMillis) {
        // Asked before closing: the closes start this node's UNSUBSCRIBE, which may beat the NUMSUB reply back.
        boolean selfBefore = selfCounted(userId);
        int n = local.disconnectLocally(userId, revokedAtEpochMillis);
        String payload = RedisPayload.disconnect(origin, userId, revokedAtEpochMillis).encode();
        RedisLink.Pair p = link.pair();
        if (p == null) {
            metrics.brokerErrors.increment();
            held.hold(payload, revokedAtEpochMillis);
            return n;
        }
        String channel = userChannel(userId);
        long deadline = System.nanoTime() + timeoutNanos;
        RedisFuture<Long> sent = null;
        try {
            RedisFuture<Map<String, Long>> holders = p.pub.async().pubsubNumsub(channel);
            sent = stored.write(p.pub.async(), userId, revokedAtEpochMillis, payload);
            // Should the control message fail, even after we stopped waiting, it is sent again once Redis answers.
            sent.whenComplete((ok, error) -> {
                if (error != null) held.hold(payload, revokedAtEpochMillis);
            });
            sent.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            Long holding = holders.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS).get(channel);
            long others = (holding == null ? 0 : holding) - (selfBefore ? 1 : 0);
            return n + (int) Math.max(0, Math.min(Integer.MAX_VALUE - n, others));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed(p, "disconnect", e);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            if (sent == null) held.hold(payload, revokedAtEpochMillis);
            failed(p, "disconnect", e);
        }
        return n;
    }

    /** A receipt report to another node's channel (see docs/SCALE-OUT.md "Receipts"); fire and forget. */
    @Override
    public void sendToNode(String node, String report) {
        RedisLink.Pair p = link.pair();
        if (p == null) {
            metrics.brokerErrors.increment();
            return;
        }
        try {
            p.pub.async().publish(nodeChannel(node), report).whenComplete((ok, error) -> {
                if (error != null) metrics.brokerErrors.increment();
            });
        } catch (RuntimeException e) {
            metrics.brokerErrors.increment();
        }
    }

    /**
     * Whether Redis's receiver count includes this node. Exact once the subscription settled; while it changes
     * (a SUBSCRIBE or UNSUBSCRIBE not yet executed by Redis) the answer can be off by one, and errs towards
     * counting one node too few rather than a node that does not hold the user.
     */
    private boolean selfCounted(String userId) {
        return local.holdsLocally(userId) || subscriptions.isSubscribed(userId);
    }

    private void failed(RedisLink.Pair p, String what, Throwable e) {
        metrics.brokerErrors.increment();
        if (p.errorLogged.compareAndSet(false, true)) {
            // A publish waits at most the budget, then completes (or fails) in the background.
            long waitedMs = Duration.ofNanos("publish".equals(what) ? budgetNanos : timeoutNanos).toMillis();
            LOG.warning("wspush redis broker: " + what + " failed or took over " + waitedMs
                    + " ms (" + RedisLink.reason(e) + "); answering with the local count. Further failures on this "
                    + "connection are counted in wspush_broker_errors_total, not logged.");
        }
    }

    // ---- subscriptions ----

    @Override
    public void userArrived(String userId) {
        subscriptions.changed(userId);
    }

    @Override
    public void userLeft(String userId) {
        subscriptions.changed(userId);
    }

    private void subscriptionFailed(Throwable e) {
        metrics.brokerErrors.increment();
        if (LOG.isLoggable(Level.FINE)) LOG.fine("wspush redis broker: (un)subscribe failed, retrying: " + RedisLink.reason(e));
    }

    private static String[] channels(List<String> userIds) {
        String[] channels = new String[userIds.size()];
        for (int i = 0; i < channels.length; i++) channels[i] = userChannel(userIds.get(i));
        return channels;
    }

    // ---- the link's state (RedisLink.Listener, on the link's thread) ----

    @Override
    public void up(RedisLink.Pair p, boolean again) {
        if (again) LOG.info("wspush redis broker: resubscribing this node's users");
        else LOG.info("wspush redis broker: this node publishes as " + origin);
        subscriptions.connected(new RedisSubscriptions.Commands() {
            @Override
            public CompletableFuture<?> subscribe(List<String> userIds) {
                return p.sub.async().subscribe(channels(userIds)).toCompletableFuture();
            }

            @Override
            public CompletableFuture<?> unsubscribe(List<String> userIds) {
                return p.sub.async().unsubscribe(channels(userIds)).toCompletableFuture();
            }
        });
        held.reconnected(RedisLink.MAX_BACKOFF.plus(slowTimeout));
        linkEpoch++;
        revocationsLoaded = false;
        loading = false;
        loadRevocations(p);
        // While the link was down this node's subscriptions missed whatever other nodes pushed, and its own pushes
        // went out without history: resuming connections cannot know what they missed until they resume.
        if (history != null) local.resumeRequired();
    }

    @Override
    public void down() {
        subscriptions.disconnected();
        linkEpoch++;
        revocationsLoaded = false;
        loading = false;
    }

    @Override
    public void tick(RedisLink.Pair p) {
        subscriptions.retryFailed();
        held.flush(p);
        gate.tick();
        if (!revocationsLoaded) loadRevocations(p); // the last load failed: again, one at a time
    }

    /**
     * Loads every stored revocation (link thread) and applies each as a late disconnect: known ones change
     * nothing, new ones (made while this node was away) are remembered and close older tokens' connections
     * registered meanwhile.
     */
    private void loadRevocations(RedisLink.Pair p) {
        if (loading) return;
        loading = true;
        long epoch = linkEpoch;
        stored.load(p.pub.async()).orTimeout(4 * slowTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenCompleteAsync((found, error) -> {
                    if (epoch != linkEpoch) return; // that link is gone; the next one loads again
                    loading = false;
                    if (error != null) {
                        metrics.brokerErrors.increment();
                        if (LOG.isLoggable(Level.FINE)) {
                            LOG.fine("wspush redis broker: loading revocations failed, retrying: " + RedisLink.reason(error));
                        }
                        return;
                    }
                    long cutoff = System.currentTimeMillis() - revocationTtlMillis;
                    for (Map.Entry<String, Long> e : found.entrySet()) {
                        if (e.getValue() >= cutoff) local.applyStoredRevocation(e.getKey(), e.getValue());
                    }
                    revocationsLoaded = true;
                    if (firstLoad.complete(null)) {
                        LOG.info("wspush redis broker: " + found.size() + " stored revocations loaded");
                    } else if (LOG.isLoggable(Level.FINE)) {
                        LOG.fine("wspush redis broker: " + found.size() + " stored revocations loaded again");
                    }
                }, link.executor());
    }

    // ---- incoming ----

    private final class Incoming extends RedisPubSubAdapter<String, String> {
        @Override
        public void message(String channel, String message) {
            if (channel.startsWith(NODE_CHANNEL_PREFIX)) {
                if (channel.equals(nodeChannel(origin))) local.fromNode(message);
                return;
            }
            RedisPayload p;
            try {
                p = RedisPayload.decode(message);
            } catch (IllegalArgumentException e) {
                metrics.brokerErrors.increment();
                if (malformedLogged.compareAndSet(false, true)) {
                    LOG.warning("wspush redis broker: ignoring a message on " + channel + " that is not a wspush payload ("
                            + e.getMessage() + "); further ones are counted in wspush_broker_errors_total, not logged");
                }
                return;
            }
            boolean own = origin.equals(p.origin());
            // Already delivered locally by publish/disconnect; with history, resuming connections take it again.
            if (own && (history == null || p.kind() != RedisPayload.Kind.PUSH || p.offset() == 0)) return;
            try {
                if (p.kind() == RedisPayload.Kind.PUSH) {
                    if (channel.equals(userChannel(p.userId()))) local.deliverLocally(p.delivery(), own ? Route.ECHO : Route.REMOTE);
                } else if (p.kind() == RedisPayload.Kind.BROADCAST) {
                    if (!own && CONTROL_CHANNEL.equals(channel)) local.broadcastLocally(p.delivery());
                } else if (CONTROL_CHANNEL.equals(channel)) {
                    local.disconnectLocally(p.userId(), p.at());
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "wspush redis broker: handling a message from " + p.origin() + " failed", e);
            }
        }
    }

    /** The publishing connection's commands, null while Redis is unreachable (for {@link RedisPresence}). */
    io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands<String, String> commands() {
        RedisLink.Pair p = link.pair();
        return p == null ? null : p.pub.async();
    }

    // ---- Broker ----

    @Override
    public String problem() {
        String down = link.problem();
        if (down != null) return down;
        if (!revocationsLoaded) {
            return "redis: revocations not loaded yet; tokens are checked against this node's known revocations only";
        }
        return gate.problem();
    }

    @Override
    public void close() {
        link.close();
        if (held.size() > 0) {
            LOG.warning("wspush redis broker: closing with " + held.size() + " operator disconnects that never "
                    + "reached Redis");
        }
    }
}
