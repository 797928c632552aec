package io.wspush.broker;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.MaintNotificationsConfig;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.metrics.CommandLatencyRecorder;
import io.lettuce.core.pubsub.RedisPubSubListener;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A node's link to Redis and its state machine: connect (at start and after every loss) with backoff, watch the
 * link with PING, and report each change once. Lettuce's own auto-reconnect is off so that both cases (never
 * connected, connection lost) take this one path.
 *
 * <p>A link is a {@link Pair}: one connection subscribes (and receives), the other publishes. A pair counts as up
 * only once it has subscribed to the fixed channels; then {@link Listener#up} runs, so the user can resubscribe.
 *
 * <p>Threads: one scheduled thread owns the state (the fields marked below) and runs every {@link Listener}
 * callback; Lettuce's event loop delivers incoming messages; other threads only read {@link #pair()}.
 */
final class RedisLink implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RedisLink.class.getName());

    static final long TICK_MILLIS = 200;
    private static final int PING_EVERY_TICKS = 5;
    private static final int PING_FAILURES_TO_DROP = 2;
    static final Duration MAX_BACKOFF = Duration.ofSeconds(2);
    private static final Duration MIN_BACKOFF = Duration.ofMillis(100);

    /** What the link tells its user, always on the link's thread. */
    interface Listener {
        /** A fresh pair is up: the first one, or a new one after an outage ({@code again}). */
        void up(Pair pair, boolean again);

        /** The pair in use was lost; its subscriptions are gone with it. */
        void down();

        /** Every tick while a pair is up: the place for retries. */
        void tick(Pair pair);
    }

    /** A connected pair: one connection subscribes (and receives), the other publishes. */
    static final class Pair {
        final StatefulRedisPubSubConnection<String, String> sub;
        final StatefulRedisConnection<String, String> pub;
        /** Failures of commands on this pair are logged once (see the broker). */
        final AtomicBoolean errorLogged = new AtomicBoolean();

        Pair(StatefulRedisPubSubConnection<String, String> sub, StatefulRedisConnection<String, String> pub) {
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

    private final RedisURI uri;
    private final String where;
    private final Duration slowTimeout;
    private final RedisPubSubListener<String, String> messages;
    private final String[] fixedChannels;
    private final Listener listener;
    private final ScheduledThreadPoolExecutor thread;
    private final CompletableFuture<Void> firstAttempt = new CompletableFuture<>();

    private ClientResources resources;
    private RedisClient client;

    private volatile Pair pair;
    private volatile String problem = "redis: not connected yet";
    private volatile boolean closed;

    // ---- link thread only ----
    private boolean connecting;
    private long connectStartedNanos;
    private long attempts;
    private long nextAttemptNanos;
    private Duration backoff = MIN_BACKOFF;
    private long ticks;
    private boolean pinging;
    private int pingFailures;
    private boolean everConnected;
    private boolean downLogged;

    /**
     * @param slowTimeout  how long connects, handshakes, SUBSCRIBE and PING may take
     * @param messages     receives every message of the subscribing connection
     * @param fixedChannels subscribed on every new pair before it counts as up
     */
    RedisLink(RedisURI uri, Duration slowTimeout, ThreadFactory threads, RedisPubSubListener<String, String> messages,
              Listener listener, String... fixedChannels) {
        this.uri = uri;
        this.where = describe(uri);
        this.slowTimeout = slowTimeout;
        this.messages = messages;
        this.fixedChannels = fixedChannels.clone();
        this.listener = listener;
        this.thread = new ScheduledThreadPoolExecutor(1, threads);
        thread.setRemoveOnCancelPolicy(true);
    }

    /** Where Redis is, for logs: never the password. */
    static String describe(RedisURI u) {
        if (u.getSocket() != null) return "unix:" + u.getSocket();
        if (u.getHost() == null && !u.getSentinels().isEmpty()) {
            return "sentinel " + u.getSentinels().get(0).getHost() + ":" + u.getSentinels().get(0).getPort()
                    + " master " + u.getSentinelMasterId();
        }
        return u.getHost() + ":" + u.getPort();
    }

    /** Starts connecting and waits a moment for the first attempt, so a healthy deployment comes up "ready". */
    void start() {
        try {
            // Built on the link's thread, so Lettuce's threads inherit its context class loader.
            thread.submit(this::createClient).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the Redis link", e);
        } catch (ExecutionException e) {
            close();
            throw new IllegalStateException("cannot start the Redis link: " + e.getCause(), e.getCause());
        }
        thread.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        try {
            firstAttempt.get(slowTimeout.toMillis() + 500, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // logged by the attempt itself; the link keeps trying
        }
    }

    /** The pair in use, or null while Redis is not reachable. */
    Pair pair() {
        return pair;
    }

    /** Null while up, otherwise why not (for /health and logs). */
    String problem() {
        return pair != null ? null : problem;
    }

    String where() {
        return where;
    }

    /** Runs on the link's thread (dropped once closed). */
    private void onThread(Runnable r) {
        if (closed) return;
        try {
            thread.execute(r);
        } catch (RejectedExecutionException ignored) {
            // closing
        }
    }

    /** The link's thread, for work and completions that must run there. */
    Executor executor() {
        return thread;
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
                    Pair p = pair;
                    if (p != null && p.owns(connection)) lost(p, "connection closed");
                });
            }
        });
        connect();
    }

    private void tick() {
        try {
            if (closed) return;
            ticks++;
            Pair p = pair;
            if (p == null) {
                if (connecting && System.nanoTime() - connectStartedNanos > 4 * slowTimeout.toNanos()) {
                    attemptFailed(new TimeoutException("connect attempt did not finish")); // a safety net only
                }
                if (!connecting && System.nanoTime() - nextAttemptNanos >= 0) connect();
            } else if (!p.isOpen()) {
                lost(p, "connection closed");
            } else {
                if (ticks % PING_EVERY_TICKS == 0) ping(p);
                listener.tick(p);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "wspush redis: timer failed", e);
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
                    Pair p = new Pair(sub.join(), pub.join());
                    p.sub.addListener(messages);
                    return p.sub.async().subscribe(fixedChannels).toCompletableFuture()
                            .orTimeout(slowTimeout.toMillis(), TimeUnit.MILLISECONDS)
                            .thenApply(subscribed -> p);
                }, thread)
                .whenCompleteAsync((p, error) -> {
                    boolean current = attempt == attempts && connecting;
                    if (error == null && !closed && current && p.isOpen()) {
                        up(p);
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

    private void up(Pair p) {
        connecting = false;
        backoff = MIN_BACKOFF;
        pingFailures = 0;
        pinging = false;
        pair = p;
        problem = null;
        LOG.info(everConnected ? "wspush redis: reconnected to " + where : "wspush redis: connected to " + where);
        boolean again = everConnected;
        everConnected = true;
        downLogged = false;
        listener.up(p, again);
        firstAttempt.complete(null);
    }

    private void attemptFailed(Throwable error) {
        connecting = false;
        String why = reason(error);
        problem = "redis unreachable at " + where + " (" + why + "); local delivery only";
        if (!downLogged) {
            downLogged = true;
            LOG.warning("wspush redis: " + problem + ". Retrying in the background.");
        } else if (LOG.isLoggable(Level.FINE)) {
            LOG.fine("wspush redis: still unreachable: " + why);
        }
        nextAttemptNanos = System.nanoTime() + backoff.toNanos();
        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        firstAttempt.complete(null);
    }

    private void lost(Pair p, String why) {
        if (pair != p) return;
        // The problem first: whoever sees the pair gone must also see why.
        problem = "redis connection to " + where + " lost (" + why + "); local delivery only, reconnecting";
        pair = null;
        p.closeAsync();
        listener.down();
        if (!downLogged) {
            downLogged = true;
            LOG.warning("wspush redis: " + problem);
        }
        backoff = MIN_BACKOFF;
        nextAttemptNanos = System.nanoTime(); // try again at once, then back off
    }

    private void ping(Pair p) {
        if (pinging) return;
        pinging = true;
        CompletableFuture<String> a = p.pub.async().ping().toCompletableFuture();
        CompletableFuture<String> b = p.sub.async().ping().toCompletableFuture();
        CompletableFuture.allOf(a, b).orTimeout(slowTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenCompleteAsync((ok, error) -> {
                    if (pair != p) return;
                    pinging = false;
                    if (error == null) {
                        pingFailures = 0;
                    } else if (++pingFailures >= PING_FAILURES_TO_DROP) {
                        lost(p, "no answer to PING: " + reason(error));
                    }
                }, thread);
    }

    /**
     * Shuts a Lettuce client and its resources down, each within {@code wait} (plus a second): used by both Redis
     * brokers' close. Either may be null (never created).
     */
    static void shutdown(AbstractRedisClient client, ClientResources resources, Duration wait) {
        long waitMs = wait.toMillis();
        if (client != null) {
            try {
                client.shutdownAsync(0, waitMs, TimeUnit.MILLISECONDS).get(waitMs + 1000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
                LOG.fine("wspush redis: client shutdown: " + reason(e));
            }
        }
        if (resources != null) {
            try {
                resources.shutdown(0, waitMs, TimeUnit.MILLISECONDS).await(waitMs + 1000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A short, secret-free reason for logs and /health. */
    static String reason(Throwable e) {
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

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        pair = null;
        problem = "closed";
        thread.shutdownNow();
        // Closes every connection, including the pair and any attempt still connecting.
        shutdown(client, resources, slowTimeout);
        try {
            thread.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
