package io.wspush.broker;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.MaintNotificationsConfig;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.metrics.CommandLatencyRecorder;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.wspush.config.Config;
import io.wspush.metrics.PushMetrics;
import io.wspush.push.Delivery;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
 *       those not holding the user) applies, so the revocation is known everywhere.</li>
 *   <li>Faults: if Redis is unreachable (at start or later), local delivery goes on, {@link #problem()} says why,
 *       the state change is logged once, and a timer on the broker's single thread reconnects with backoff; on
 *       every new connection all users held are resubscribed. Lettuce's own auto-reconnect is off so that both
 *       cases (never connected, connection lost) take this one path.</li>
 * </ul>
 *
 * Threads: one scheduled "wspush-redis" thread owns the connection state and the subscription bookkeeping; Lettuce's
 * event loop delivers incoming messages; publishing threads only read a volatile link and wait on a future.
 */
public final class RedisBroker implements Broker {

    private static final Logger LOG = Logger.getLogger(RedisBroker.class.getName());

    static final String CONTROL_CHANNEL = "wspush:control";
    static final String USER_CHANNEL_PREFIX = "wspush:u:";

    private static final long TICK_MILLIS = 200;
    private static final int PING_EVERY_TICKS = 5;
    private static final int PING_FAILURES_TO_DROP = 2;
    private static final Duration MIN_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);
    /** Connects, handshakes, SUBSCRIBE and PING may take this long (pushes never wait more than redis.timeout). */
    private static final Duration MIN_SLOW_TIMEOUT = Duration.ofSeconds(2);
    private static final int MAX_PENDING_CONTROL = 10_000;

    /** The channel of a user's pushes. The braces make the userId a Redis Cluster hash tag. */
    static String userChannel(String userId) {
        return USER_CHANNEL_PREFIX + "{" + userId + "}";
    }

    /** A connected pair: one connection subscribes (and receives), the other publishes. */
    private static final class Link {
        final StatefulRedisPubSubConnection<String, String> sub;
        final StatefulRedisConnection<String, String> pub;
        final AtomicBoolean errorLogged = new AtomicBoolean();

        Link(StatefulRedisPubSubConnection<String, String> sub, StatefulRedisConnection<String, String> pub) {
            this.sub = sub;
            this.pub = pub;
        }

        boolean isOpen() {
            return sub.isOpen() && pub.isOpen();
        }

        void closeAsync() {
            sub.closeAsync();
            pub.closeAsync();
        }

        boolean owns(RedisChannelHandler<?, ?> handler) {
            return handler == sub || handler == pub;
        }
    }

    private record PendingControl(String payload, long at) {
    }

    private final RedisURI uri;
    private final String where;
    private final long timeoutNanos;
    private final Duration slowTimeout;
    private final Duration revocationTtl;
    private final PushMetrics metrics;
    private final String origin;
    private final ConcurrentLinkedDeque<PendingControl> pendingControl = new ConcurrentLinkedDeque<>();
    private final AtomicInteger pendingControlCount = new AtomicInteger();
    private final AtomicBoolean pendingDropLogged = new AtomicBoolean();
    private final AtomicBoolean malformedLogged = new AtomicBoolean();

    private LocalNode local;
    private ClientResources resources;
    private RedisClient client;
    private ScheduledThreadPoolExecutor thread;
    private RedisSubscriptions subscriptions;

    private volatile Link link;
    private volatile String problem = "redis: not connected yet";
    private volatile boolean closed;

    // ---- broker thread only ----
    private boolean connecting;
    private long connectStartedNanos;
    private long attempts;
    private long nextAttemptNanos;
    private Duration backoff = MIN_BACKOFF;
    private long ticks;
    private boolean pinging;
    private int pingFailures;
    private boolean flushing;
    /** Held operator disconnects are sent from then on (see {@link #up}). */
    private long flushNotBeforeNanos;
    private boolean everConnected;
    private boolean downLogged;
    private final CompletableFuture<Void> firstAttempt = new CompletableFuture<>();

    public RedisBroker(Config config, PushMetrics metrics) {
        RedisURI u;
        try {
            u = RedisURI.create(config.redisUri());
        } catch (RuntimeException e) {
            // Neither the value nor the parser's message (which quotes it) is shown: it may hold a password.
            throw new IllegalStateException("wspush.redis.uri is not a valid Redis URI (expected e.g. "
                    + "redis://127.0.0.1:6379 or redis://:password@host:6379)");
        }
        Duration timeout = config.redisTimeout();
        this.slowTimeout = timeout.compareTo(MIN_SLOW_TIMEOUT) > 0 ? timeout : MIN_SLOW_TIMEOUT;
        u.setTimeout(slowTimeout);
        this.uri = u;
        this.where = describe(u);
        this.timeoutNanos = timeout.toNanos();
        this.revocationTtl = config.revocationTtl();
        this.metrics = metrics;
        byte[] suffix = new byte[4];
        new SecureRandom().nextBytes(suffix);
        // A per-start suffix: two nodes misconfigured with the same wspush.node.id must not skip each other's pushes.
        this.origin = config.nodeId() + "#" + HexFormat.of().formatHex(suffix);
    }

    private static String describe(RedisURI u) {
        if (u.getSocket() != null) return "unix:" + u.getSocket();
        if (u.getHost() == null && !u.getSentinels().isEmpty()) {
            return "sentinel " + u.getSentinels().get(0).getHost() + ":" + u.getSentinels().get(0).getPort()
                    + " master " + u.getSentinelMasterId();
        }
        return u.getHost() + ":" + u.getPort(); // never the password
    }

    @Override
    public void start(LocalNode local) {
        this.local = local;
        // The JSON provider is looked up once, here, on a thread of the web application.
        RedisPayload.decode(RedisPayload.disconnect("warm-up", "-", 0).encode());
        // Our thread, and Lettuce's event loops it starts, see the web application's classes.
        ClassLoader app = RedisBroker.class.getClassLoader();
        this.thread = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "wspush-redis");
            t.setDaemon(true);
            t.setContextClassLoader(app);
            return t;
        });
        thread.setRemoveOnCancelPolicy(true);
        this.subscriptions = new RedisSubscriptions(local::holdsLocally, thread, this::subscriptionFailed);
        try {
            // Built on the broker thread, so Lettuce's threads inherit its context class loader.
            thread.submit(this::createClient).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the Redis broker", e);
        } catch (ExecutionException e) {
            close();
            throw new IllegalStateException("cannot start the Redis broker: " + e.getCause(), e.getCause());
        }
        thread.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        // A healthy deployment comes up "ready": give the first connection a moment (not a push, so not redis.timeout).
        try {
            firstAttempt.get(slowTimeout.toMillis() + 500, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // logged by the attempt itself; the node runs degraded and keeps trying
        }
    }

    private void createClient() {
        this.resources = ClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .commandLatencyRecorder(CommandLatencyRecorder.disabled())
                .build();
        this.client = RedisClient.create(resources);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(false)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(65_536)
                .timeoutOptions(TimeoutOptions.enabled(slowTimeout))
                .socketOptions(SocketOptions.builder().connectTimeout(slowTimeout).keepAlive(true).tcpNoDelay(true).build())
                .maintNotificationsConfig(MaintNotificationsConfig.disabled())
                .build());
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                onThread(() -> {
                    Link l = link;
                    if (l != null && l.owns(connection)) lost(l, "connection closed");
                });
            }
        });
        connect();
    }

    // ---- pushes and disconnects ----

    @Override
    public int publish(Delivery d) {
        int n = local.deliverLocally(d);
        Link l = link;
        if (l == null) {
            metrics.brokerErrors.increment();
            return n;
        }
        try {
            RedisFuture<Long> receivers = l.pub.async().publish(userChannel(d.userId), RedisPayload.push(origin, d).encode());
            long others = receivers.get(timeoutNanos, TimeUnit.NANOSECONDS) - (selfCounted(d.userId) ? 1 : 0);
            return n + (int) Math.max(0, Math.min(Integer.MAX_VALUE - n, others));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed(l, "publish", e);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            failed(l, "publish", e);
        }
        return n;
    }

    @Override
    public int disconnect(String userId, long revokedAtEpochMillis) {
        int n = local.disconnectLocally(userId, revokedAtEpochMillis);
        String payload = RedisPayload.disconnect(origin, userId, revokedAtEpochMillis).encode();
        Link l = link;
        if (l == null) {
            metrics.brokerErrors.increment();
            queueControl(new PendingControl(payload, revokedAtEpochMillis));
            return n;
        }
        String channel = userChannel(userId);
        long deadline = System.nanoTime() + timeoutNanos;
        RedisFuture<Long> sent = null;
        try {
            RedisFuture<Map<String, Long>> holders = l.pub.async().pubsubNumsub(channel);
            sent = l.pub.async().publish(CONTROL_CHANNEL, payload);
            // Should the control message fail, even after we stopped waiting, it is sent again once Redis answers.
            sent.whenComplete((ok, error) -> {
                if (error != null) queueControl(new PendingControl(payload, revokedAtEpochMillis));
            });
            sent.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            Long holding = holders.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS).get(channel);
            long others = (holding == null ? 0 : holding) - (selfCounted(userId) ? 1 : 0);
            return n + (int) Math.max(0, Math.min(Integer.MAX_VALUE - n, others));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed(l, "disconnect", e);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            if (sent == null) queueControl(new PendingControl(payload, revokedAtEpochMillis));
            failed(l, "disconnect", e);
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

    private void failed(Link l, String what, Throwable e) {
        metrics.brokerErrors.increment();
        if (l.errorLogged.compareAndSet(false, true)) {
            LOG.warning("wspush redis broker: " + what + " failed or took over " + Duration.ofNanos(timeoutNanos).toMillis()
                    + " ms (" + reason(e) + "); answering with the local count. Further failures on this connection "
                    + "are counted in wspush_broker_errors_total, not logged.");
        }
    }

    private void queueControl(PendingControl p) {
        pendingControl.addLast(p);
        if (pendingControlCount.incrementAndGet() > MAX_PENDING_CONTROL) {
            if (pendingControl.pollFirst() != null) pendingControlCount.decrementAndGet();
            if (pendingDropLogged.compareAndSet(false, true)) {
                LOG.warning("wspush redis broker: more than " + MAX_PENDING_CONTROL + " operator disconnects wait for "
                        + "Redis; the oldest are dropped");
            }
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
        if (LOG.isLoggable(Level.FINE)) LOG.fine("wspush redis broker: (un)subscribe failed, retrying: " + reason(e));
    }

    private RedisSubscriptions.Commands commands(Link l) {
        return new RedisSubscriptions.Commands() {
            @Override
            public CompletableFuture<?> subscribe(List<String> userIds) {
                return l.sub.async().subscribe(channels(userIds)).toCompletableFuture();
            }

            @Override
            public CompletableFuture<?> unsubscribe(List<String> userIds) {
                return l.sub.async().unsubscribe(channels(userIds)).toCompletableFuture();
            }
        };
    }

    private static String[] channels(List<String> userIds) {
        String[] channels = new String[userIds.size()];
        for (int i = 0; i < channels.length; i++) channels[i] = userChannel(userIds.get(i));
        return channels;
    }

    // ---- incoming ----

    private final class Listener extends RedisPubSubAdapter<String, String> {
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
            if (origin.equals(p.origin())) return; // already delivered locally by publish/disconnect
            try {
                if (p.kind() == RedisPayload.Kind.PUSH) {
                    if (channel.equals(userChannel(p.userId()))) local.deliverLocally(p.delivery());
                } else if (CONTROL_CHANNEL.equals(channel)) {
                    local.disconnectLocally(p.userId(), p.at());
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "wspush redis broker: handling a message from " + p.origin() + " failed", e);
            }
        }
    }

    // ---- connection state (broker thread) ----

    private void onThread(Runnable r) {
        if (closed) return;
        try {
            thread.execute(r);
        } catch (RejectedExecutionException ignored) {
            // closing
        }
    }

    private void tick() {
        try {
            if (closed) return;
            ticks++;
            Link l = link;
            if (l == null) {
                if (connecting && System.nanoTime() - connectStartedNanos > 4 * slowTimeout.toNanos()) {
                    attemptFailed(new TimeoutException("connect attempt did not finish")); // a safety net only
                }
                if (!connecting && System.nanoTime() - nextAttemptNanos >= 0) connect();
            } else if (!l.isOpen()) {
                lost(l, "connection closed");
            } else {
                if (ticks % PING_EVERY_TICKS == 0) ping(l);
                subscriptions.retryFailed();
                flushControl(l);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "wspush redis broker: timer failed", e);
        }
    }

    private void connect() {
        connecting = true;
        connectStartedNanos = System.nanoTime();
        long attempt = ++attempts;
        CompletableFuture<StatefulRedisPubSubConnection<String, String>> sub;
        CompletableFuture<StatefulRedisConnection<String, String>> pub;
        try {
            sub = client.connectPubSubAsync(StringCodec.UTF8, uri).toCompletableFuture();
            pub = client.connectAsync(StringCodec.UTF8, uri).toCompletableFuture();
        } catch (RuntimeException e) {
            attemptFailed(e);
            return;
        }
        CompletableFuture.allOf(sub, pub)
                .orTimeout(2 * slowTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .thenComposeAsync(connected -> {
                    Link l = new Link(sub.join(), pub.join());
                    l.sub.addListener(new Listener());
                    return l.sub.async().subscribe(CONTROL_CHANNEL).toCompletableFuture()
                            .orTimeout(slowTimeout.toMillis(), TimeUnit.MILLISECONDS)
                            .thenApply(subscribed -> l);
                }, thread)
                .whenCompleteAsync((l, error) -> {
                    boolean current = attempt == attempts && connecting;
                    if (error == null && !closed && current && l.isOpen()) {
                        up(l);
                        return;
                    }
                    // Whatever did or will connect of this attempt is closed again.
                    sub.thenAccept(StatefulRedisPubSubConnection::closeAsync);
                    pub.thenAccept(StatefulRedisConnection::closeAsync);
                    if (!closed && current) {
                        attemptFailed(error != null ? error : new IllegalStateException("connection closed"));
                    }
                }, thread);
    }

    private void up(Link l) {
        connecting = false;
        backoff = MIN_BACKOFF;
        pingFailures = 0;
        pinging = false;
        link = l;
        problem = null;
        if (!everConnected) {
            LOG.info("wspush redis broker: connected to " + where + " as " + origin);
        } else {
            LOG.info("wspush redis broker: reconnected to " + where + "; resubscribing this node's users");
        }
        everConnected = true;
        downLogged = false;
        subscriptions.connected(commands(l));
        // Pub/sub only reaches nodes subscribed at that moment. After an outage every node reconnects within one
        // backoff period (plus a connect), so held disconnects wait that long: then the others listen again.
        flushNotBeforeNanos = System.nanoTime() + MAX_BACKOFF.plus(slowTimeout).toNanos();
        firstAttempt.complete(null);
    }

    private void attemptFailed(Throwable error) {
        connecting = false;
        String why = reason(error);
        problem = "redis unreachable at " + where + " (" + why + "); local delivery only";
        if (!downLogged) {
            downLogged = true;
            LOG.warning("wspush redis broker: " + problem + ". Retrying in the background.");
        } else if (LOG.isLoggable(Level.FINE)) {
            LOG.fine("wspush redis broker: still unreachable: " + why);
        }
        nextAttemptNanos = System.nanoTime() + backoff.toNanos();
        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        firstAttempt.complete(null);
    }

    private void lost(Link l, String why) {
        if (link != l) return;
        link = null;
        l.closeAsync();
        subscriptions.disconnected();
        problem = "redis connection to " + where + " lost (" + why + "); local delivery only, reconnecting";
        if (!downLogged) {
            downLogged = true;
            LOG.warning("wspush redis broker: " + problem);
        }
        backoff = MIN_BACKOFF;
        nextAttemptNanos = System.nanoTime(); // try again at once, then back off
    }

    private void ping(Link l) {
        if (pinging) return;
        pinging = true;
        CompletableFuture<String> a = l.pub.async().ping().toCompletableFuture();
        CompletableFuture<String> b = l.sub.async().ping().toCompletableFuture();
        CompletableFuture.allOf(a, b).orTimeout(slowTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenCompleteAsync((ok, error) -> {
                    if (link != l) return;
                    pinging = false;
                    if (error == null) {
                        pingFailures = 0;
                    } else if (++pingFailures >= PING_FAILURES_TO_DROP) {
                        lost(l, "no answer to PING: " + reason(error));
                    }
                }, thread);
    }

    /** Sends, one at a time, the operator disconnects that could not be published when they happened. */
    private void flushControl(Link l) {
        if (flushing || link != l || System.nanoTime() - flushNotBeforeNanos < 0) return;
        PendingControl p = pendingControl.pollFirst();
        if (p == null) return;
        pendingControlCount.decrementAndGet();
        if (p.at() < System.currentTimeMillis() - revocationTtl.toMillis()) {
            flushControl(l); // older than any token should live: no longer worth sending
            return;
        }
        flushing = true;
        l.pub.async().publish(CONTROL_CHANNEL, p.payload()).toCompletableFuture()
                .whenCompleteAsync((v, error) -> {
                    flushing = false;
                    if (error != null) {
                        pendingControl.addFirst(p);
                        pendingControlCount.incrementAndGet();
                        metrics.brokerErrors.increment();
                    } else {
                        flushControl(l);
                    }
                }, thread);
    }

    private static String reason(Throwable e) {
        if (e == null) return "unknown";
        Throwable t = e;
        while ((t instanceof ExecutionException || t instanceof CompletionException
                || t.getMessage() == null) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof TimeoutException || t instanceof RedisCommandTimeoutException) return "timed out";
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String msg = root.getMessage() != null ? root.getMessage() : t.getMessage();
        return msg != null ? msg : t.getClass().getSimpleName();
    }

    // ---- Broker ----

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public String problem() {
        return link != null ? null : problem;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        link = null;
        problem = "closed";
        if (thread != null) thread.shutdownNow();
        long waitMs = slowTimeout.toMillis();
        if (client != null) {
            try {
                // Closes every connection, including the link and any attempt still connecting.
                client.shutdownAsync(0, waitMs, TimeUnit.MILLISECONDS).get(waitMs + 1000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.fine("wspush redis broker: client shutdown: " + reason(e));
            }
        }
        if (resources != null) {
            try {
                resources.shutdown(0, waitMs, TimeUnit.MILLISECONDS).await(waitMs + 1000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (thread != null) {
            try {
                thread.awaitTermination(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (!pendingControl.isEmpty()) {
            LOG.warning("wspush redis broker: closing with " + pendingControl.size() + " operator disconnects that never "
                    + "reached Redis");
        }
    }
}
