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
 *       at most {@code wspush.redis.timeout} for the reply. {@code delivered} = local connections + other nodes that
 *       hold the user (PUBLISH's receiver count, minus this node when it is itself subscribed).</li>
 *   <li>{@link #disconnect} closes local connections and PUBLISHes to the control channel, which every node (also
 *       those not holding the user) applies, so the revocation is known everywhere; one that cannot be published
 *       is held ({@link HeldDisconnects}).</li>
 *   <li>Faults: the {@link RedisLink} reconnects in the background; meanwhile local delivery goes on and
 *       {@link #problem()} says why. On every new link all users held are resubscribed.</li>
 * </ul>
 */
public final class RedisBroker implements Broker, RedisLink.Listener {

    private static final Logger LOG = Logger.getLogger(RedisBroker.class.getName());

    static final String CONTROL_CHANNEL = "wspush:control";
    static final String USER_CHANNEL_PREFIX = "wspush:u:";

    /** Connects, handshakes, SUBSCRIBE and PING may take this long (pushes never wait more than redis.timeout). */
    private static final Duration MIN_SLOW_TIMEOUT = Duration.ofSeconds(2);
    private static final int MAX_HELD_DISCONNECTS = 10_000;

    /** The channel of a user's pushes. The braces make the userId a Redis Cluster hash tag. */
    static String userChannel(String userId) {
        return USER_CHANNEL_PREFIX + "{" + userId + "}";
    }

    private final long timeoutNanos;
    private final Duration slowTimeout;
    private final PushMetrics metrics;
    private final String origin;
    private final RedisLink link;
    private final HeldDisconnects held;
    private final AtomicBoolean malformedLogged = new AtomicBoolean();
    private final long historyTtlMillis;

    private final RedisHistory history; // null: history off

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
        this.origin = config.nodeId() + "#" + HexFormat.of().formatHex(suffix);
        this.link = new RedisLink(uri, slowTimeout, threads, new Incoming(), this, CONTROL_CHANNEL);
        this.history = config.history() ? new RedisHistory(config.historySize(), config.historyTtl().toMillis()) : null;
        this.historyTtlMillis = config.historyTtl().toMillis();
        this.held = new HeldDisconnects(link, CONTROL_CHANNEL, MAX_HELD_DISCONNECTS, config.revocationTtl(),
                metrics.brokerErrors::increment);
    }

    @Override
    public void start(LocalNode local) {
        this.local = local;
        // Decoding once here loads the JSON-P provider on a web application thread, before Lettuce's threads need it.
        RedisPayload.decode(RedisPayload.disconnect("warm-up", "-", 0).encode());
        this.subscriptions = new RedisSubscriptions(local::holdsLocally, link.executor(), this::subscriptionFailed);
        link.start();
    }

    // ---- pushes and disconnects ----

    @Override
    public int publish(Delivery d) {
        int n = local.deliverLocally(d);
        RedisLink.Pair p = link.pair();
        if (p == null) {
            metrics.brokerErrors.increment();
            return n;
        }
        try {
            RedisFuture<Long> receivers = p.pub.async().publish(userChannel(d.userId), RedisPayload.push(origin, d).encode());
            long others = receivers.get(timeoutNanos, TimeUnit.NANOSECONDS) - (selfCounted(d.userId) ? 1 : 0);
            return n + (int) Math.max(0, Math.min(Integer.MAX_VALUE - n, others));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed(p, "publish", e);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            failed(p, "publish", e);
        }
        return n;
    }

    /**
     * With history: one script keeps the push and publishes it with its offset (see {@link RedisHistory}); then
     * this node's connections get it at once. Resuming connections also get it back through the subscription
     * (their {@link Sequencer} keeps the first). When Redis is unreachable the push is delivered here only,
     * without offset; when the script's answer does not come in time it may still run, so only plain connections
     * get it now (resuming ones get it through the subscription if it ran).
     */
    @Override
    public Published publish(Delivery d, String id) {
        if (history == null) return new Published(publish(d), 0, null);
        RedisLink.Pair p = link.pair();
        if (p == null) {
            metrics.brokerErrors.increment();
            return new Published(local.deliverLocally(d, Route.LOCAL_FAST), 0, null);
        }
        RedisHistory.Pushed pushed;
        try {
            pushed = history.push(p.pub.async(), d.userId, userChannel(d.userId), RedisPayload.push(origin, d).encodeOpen(), id)
                    .get(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed(p, "publish", e);
            return new Published(local.deliverLocally(d, Route.UNCERTAIN), 0, null);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            failed(p, "publish", e);
            return new Published(local.deliverLocally(d, Route.UNCERTAIN), 0, null);
        }
        if (pushed.duplicate()) return new Published(0, pushed.offset(), pushed.epoch());
        int n = local.deliverLocally(d.at(pushed.offset(), pushed.epoch()), Route.LOCAL_FAST);
        long others = pushed.receivers() - (selfCounted(d.userId) ? 1 : 0);
        return new Published(n + (int) Math.max(0, Math.min(Integer.MAX_VALUE - n, others)), pushed.offset(), pushed.epoch());
    }

    /**
     * Waits until this node's subscription to the user's channel is confirmed (from then on every push reaches the
     * connection through it), then reads the history atomically: what was pushed up to that read is replayed,
     * what comes after arrives through the subscription. Redis unreachable or slow: not recovered, no position.
     */
    @Override
    public void sync(String userId, Sequencer s, Since since) {
        if (history == null) {
            Broker.super.sync(userId, s, since);
            return;
        }
        if (link.pair() == null) { // Redis unreachable: no history to read, and no reason to make the client wait
            metrics.brokerErrors.increment();
            s.unsynced(since != null);
            return;
        }
        long bound = slowTimeout.toMillis();
        subscriptions.whenSubscribed(userId)
                .orTimeout(bound, TimeUnit.MILLISECONDS)
                .thenCompose(subscribed -> {
                    RedisLink.Pair p = link.pair();
                    if (p == null) throw new IllegalStateException("redis unreachable");
                    long sinceOffset = since == null ? -1 : since.offset();
                    return history.read(p.pub.async(), userId, sinceOffset).orTimeout(bound, TimeUnit.MILLISECONDS);
                })
                .whenComplete((snap, error) -> {
                    if (error != null) {
                        metrics.brokerErrors.increment();
                        if (LOG.isLoggable(Level.FINE)) LOG.fine("wspush redis broker: resume of " + userId + " without history: " + RedisLink.reason(error));
                        s.unsynced(since != null);
                        return;
                    }
                    Boolean recovered = Recovery.recovered(since, snap.epoch(), snap.offset(), snap.after(),
                            System.currentTimeMillis() - historyTtlMillis);
                    s.synced(recovered, snap.epoch(), snap.offset(), Boolean.TRUE.equals(recovered) ? snap.after() : List.of());
                });
    }

    @Override
    public int disconnect(String userId, long revokedAtEpochMillis) {
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
            sent = p.pub.async().publish(CONTROL_CHANNEL, payload);
            // Should the control message fail, even after we stopped waiting, it is sent again once Redis answers.
            sent.whenComplete((ok, error) -> {
                if (error != null) held.hold(payload, revokedAtEpochMillis);
            });
            sent.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            Long holding = holders.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS).get(channel);
            long others = (holding == null ? 0 : holding) - (selfCounted(userId) ? 1 : 0);
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
            LOG.warning("wspush redis broker: " + what + " failed or took over " + Duration.ofNanos(timeoutNanos).toMillis()
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
        // While the link was down this node's subscriptions missed whatever other nodes pushed, and its own pushes
        // went out without history: resuming connections cannot know what they missed until they resume.
        if (history != null) local.resumeRequired();
    }

    @Override
    public void down() {
        subscriptions.disconnected();
    }

    @Override
    public void tick(RedisLink.Pair p) {
        subscriptions.retryFailed();
        held.flush(p);
    }

    // ---- incoming ----

    private final class Incoming extends RedisPubSubAdapter<String, String> {
        @Override
        public void message(String channel, String message) {
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
                } else if (CONTROL_CHANNEL.equals(channel)) {
                    local.disconnectLocally(p.userId(), p.at());
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "wspush redis broker: handling a message from " + p.origin() + " failed", e);
            }
        }
    }

    // ---- Broker ----

    @Override
    public String problem() {
        return link.problem();
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
