package io.wspush.broker;

import io.lettuce.core.MaintNotificationsConfig;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.RedisClusterPubSubAdapter;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.metrics.CommandLatencyRecorder;
import io.lettuce.core.resource.ClientResources;
import io.wspush.config.Config;
import io.wspush.connection.Sequencer;
import io.wspush.metrics.PushMetrics;
import io.wspush.protocol.Delivery;
import io.wspush.protocol.RegistrationFrame.Since;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Several wspush nodes share pushes through a Redis Cluster ({@code wspush.broker=redis-cluster}, {@code
 * wspush.redis.uri} = comma-separated seed nodes), with sharded pub/sub so that a push touches one shard only.
 *
 * <ul>
 *   <li>A user's channel {@code wspush:u:{userId}} carries the user id as hash tag, so it (and any per-user key with
 *       the same tag) lives in one slot on one shard. A node {@code SSUBSCRIBE}s it on the slot's master while it
 *       holds the user ({@link RedisSubscriptions}, as in single mode); {@link #publish} {@code SPUBLISH}es to it
 *       through {@link #send}, which Lettuce routes to that master. With history the push runs {@link RedisHistory}'s
 *       script there instead (keys and channel share the user's hash tag), and resuming connections are synced
 *       from it; budget, in-flight bound and resume are {@link RedisPublisher}'s, shared with single mode.</li>
 *   <li>Operator disconnects go by classic {@code PUBLISH} on {@code wspush:control}, which Redis Cluster forwards
 *       over its bus to every node, where each wspush node has one classic subscription: rare messages, so the
 *       broadcast costs nothing that matters, while pushes never broadcast. The revocation is stored on the user's
 *       shard in the same script ({@link RedisRevocations}); a node loads them from every master.</li>
 *   <li>A master that dies: until its replica is promoted, pushes to its users are local only (they fail fast) and
 *       {@link #problem()} names the shard. While a shard is down the topology is refreshed every second; when the
 *       slot owners change (failover, resharding) every user this node holds is subscribed again, which Lettuce
 *       routes to the new owners. Lettuce does not move sharded subscriptions by itself: its node connection keeps
 *       reconnecting to the dead master's address.</li>
 * </ul>
 *
 * <p>Threads: one scheduled thread (made by the node's factory) owns the state and runs {@link RedisSubscriptions};
 * Lettuce's event loop delivers incoming messages; publishing threads only read {@link #cluster}.
 */
public final class RedisClusterBroker implements Broker {

    private static final Logger LOG = Logger.getLogger(RedisClusterBroker.class.getName());

    static final String CONTROL_CHANNEL = RedisBroker.CONTROL_CHANNEL;

    private static final Duration MIN_SLOW_TIMEOUT = Duration.ofSeconds(2);
    private static final long TICK_MILLIS = 200;
    /** Shards are pinged, and a degraded topology refreshed, this often. */
    private static final int CHECK_EVERY_TICKS = 5;
    /** Catches slot moves that no command ran into (MOVED and lost connections trigger a refresh at once). */
    private static final Duration PERIODIC_REFRESH = Duration.ofSeconds(10);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);
    private static final int MAX_HELD_DISCONNECTS = 10_000;

    /** Parses {@code wspush.redis.uri}: one or more Redis URIs, comma-separated. Never echoes the value. */
    static List<RedisURI> seeds(String value) {
        List<RedisURI> seeds = new ArrayList<>();
        for (String part : value.split(",")) {
            if (part.isBlank()) continue;
            RedisURI uri;
            try {
                uri = RedisURI.create(part.trim());
            } catch (RuntimeException e) {
                uri = null;
            }
            // Neither the value nor the parser's message (which quotes it) is shown: it may hold a password.
            if (uri == null || uri.getHost() == null || uri.getHost().isEmpty()) {
                throw new IllegalStateException("wspush.redis.uri for wspush.broker=redis-cluster must list the "
                        + "cluster's seed nodes as Redis URIs, comma-separated (e.g. "
                        + "redis://127.0.0.1:7000,redis://127.0.0.1:7001 or rediss://:password@host:7000)");
            }
            seeds.add(uri);
        }
        if (seeds.isEmpty()) throw new IllegalStateException("wspush.redis.uri lists no Redis Cluster seed node");
        return seeds;
    }

    private final List<RedisURI> seeds;
    private final String where;
    private final long timeoutNanos;
    private final Duration slowTimeout;
    private final Duration revocationTtl;
    private final long budgetMillis;
    private final PushMetrics metrics;
    private final String origin;
    private final ScheduledThreadPoolExecutor thread;
    private final ConcurrentLinkedDeque<String[]> held = new ConcurrentLinkedDeque<>();
    private final AtomicBoolean malformedLogged = new AtomicBoolean();
    private final AtomicBoolean errorLogged = new AtomicBoolean();
    private final CompletableFuture<Void> firstAttempt = new CompletableFuture<>();

    private final PublishGate gate;
    private final RedisPublisher publisher;
    private final boolean history;
    private final RedisRevocations stored;
    /** Whether the stored revocations were loaded since this node connected (false: not yet). */
    private volatile boolean revocationsLoaded;
    private final CompletableFuture<Void> firstLoad = new CompletableFuture<>();

    private LocalNode local;
    private RedisSubscriptions subscriptions;
    private ClientResources resources;
    private RedisClusterClient client;

    /** Both connections once up: the cluster connection publishes, the pub/sub one receives. */
    private record Cluster(StatefulRedisClusterConnection<String, String> pub,
                           StatefulRedisClusterPubSubConnection<String, String> sub) {
    }

    private volatile Cluster cluster;
    private volatile String problem = "redis cluster: not connected yet";
    private volatile int shards;
    private volatile int shardsDown;
    private volatile boolean closed;

    // ---- broker thread only ----
    private boolean connecting;
    private long nextAttemptNanos;
    private Duration backoff = Duration.ofMillis(100);
    private long ticks;
    private boolean checking;
    private boolean refreshing;
    private boolean flushing;
    private String topology = "";
    private boolean downLogged;
    private boolean loading;

    public RedisClusterBroker(Config config, PushMetrics metrics, ThreadFactory threads) {
        this.seeds = seeds(config.redisUri());
        Duration timeout = config.redisTimeout();
        this.slowTimeout = timeout.compareTo(MIN_SLOW_TIMEOUT) > 0 ? timeout : MIN_SLOW_TIMEOUT;
        for (RedisURI u : seeds) u.setTimeout(slowTimeout);
        this.where = seeds.stream().map(u -> u.getHost() + ":" + u.getPort()).reduce((a, b) -> a + "," + b).orElse("");
        this.timeoutNanos = timeout.toNanos();
        this.revocationTtl = config.revocationTtl();
        this.budgetMillis = config.redisPublishBudget().toMillis();
        this.metrics = metrics;
        byte[] suffix = new byte[4];
        new SecureRandom().nextBytes(suffix);
        this.origin = config.nodeId() + "#" + HexFormat.of().formatHex(suffix);
        this.thread = new ScheduledThreadPoolExecutor(1, threads);
        thread.setRemoveOnCancelPolicy(true);
        this.stored = new RedisRevocations(CONTROL_CHANNEL, config.revocationTtl());
        this.gate = new PublishGate(config.redisPublishMaxInflight(), config.redisPublishBudget(), metrics);
        this.history = config.history();
        // History lives on the user's shard: the script's keys and channel share the user's hash tag.
        this.publisher = new RedisPublisher(gate, history
                ? new RedisHistory(config.historySize(), config.historyTtl().toMillis(), true) : null,
                metrics, config.redisPublishBudget(), slowTimeout, config.historyTtl().toMillis(), origin);
        metrics.gauge("wspush.broker.shards", "Redis Cluster masters owning slots, as last seen", () -> shards);
        metrics.gauge("wspush.broker.shards.down", "Redis Cluster shards this node cannot reach", () -> shardsDown);
    }

    @Override
    public void start(LocalNode local) {
        this.local = local;
        RedisPayload.decode(RedisPayload.disconnect("warm-up", "-", 0).encode()); // see RedisBroker.start
        this.subscriptions = new RedisSubscriptions(local::holdsLocally, thread, this::subscriptionFailed);
        try {
            // Built on the broker's thread, so Lettuce's threads inherit its context class loader.
            thread.submit(this::createClient).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the Redis Cluster broker", e);
        } catch (ExecutionException e) {
            close();
            throw new IllegalStateException("cannot start the Redis Cluster broker: " + e.getCause(), e.getCause());
        }
        thread.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        try {
            firstAttempt.get(2 * slowTimeout.toMillis() + 500, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // logged by the attempt; it keeps trying
        }
        if (cluster != null) {
            // As in single mode: a healthy deployment starts knowing every stored revocation.
            try {
                firstLoad.get(4 * slowTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // reported by problem() until a load succeeds
            }
        }
    }

    private void createClient() {
        resources = ClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .commandLatencyRecorder(CommandLatencyRecorder.disabled())
                .build();
        client = RedisClusterClient.create(resources, seeds);
        ClusterClientOptions.Builder options = ClusterClientOptions.builder()
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                        .enablePeriodicRefresh(PERIODIC_REFRESH)
                        .enableAllAdaptiveRefreshTriggers()
                        .adaptiveRefreshTriggersTimeout(Duration.ofSeconds(1))
                        .refreshTriggersReconnectAttempts(2)
                        .build());
        // Lettuce reconnects node connections itself (the cluster's nodes come and go); a command for a shard that
        // is down fails at once instead of queueing behind the reconnect.
        options.autoReconnect(true)
                .disconnectedBehavior(ClusterClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(65_536)
                .timeoutOptions(TimeoutOptions.enabled(slowTimeout))
                .socketOptions(SocketOptions.builder().connectTimeout(slowTimeout).keepAlive(true).tcpNoDelay(true).build())
                .maintNotificationsConfig(MaintNotificationsConfig.disabled());
        client.setOptions(options.build());
        connect();
    }

    // ---- connecting (broker thread) ----

    private void connect() {
        connecting = true;
        CompletableFuture<Void> topology;
        try {
            // The async connects need the topology first (the blocking ones would fetch it themselves).
            topology = client.refreshPartitionsAsync().toCompletableFuture();
        } catch (RuntimeException e) {
            topology = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<StatefulRedisClusterConnection<String, String>> pub =
                topology.thenCompose(loaded -> client.connectAsync(StringCodec.UTF8));
        CompletableFuture<StatefulRedisClusterPubSubConnection<String, String>> sub =
                topology.thenCompose(loaded -> client.connectPubSubAsync(StringCodec.UTF8));
        CompletableFuture.allOf(pub, sub)
                .orTimeout(3 * slowTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .thenComposeAsync(ok -> {
                    Cluster c = new Cluster(pub.join(), sub.join());
                    c.sub.addListener(new Incoming());
                    return c.sub.async().subscribe(CONTROL_CHANNEL, RedisBroker.nodeChannel(origin)).toCompletableFuture()
                            .orTimeout(slowTimeout.toMillis(), TimeUnit.MILLISECONDS)
                            .thenCompose(subscribed -> warm(c))
                            .thenApply(warmed -> c);
                }, thread)
                .whenCompleteAsync((c, error) -> {
                    connecting = false;
                    if (error == null && !closed) {
                        up(c);
                        return;
                    }
                    pub.thenAccept(StatefulRedisClusterConnection::closeAsync);
                    sub.thenAccept(StatefulRedisClusterPubSubConnection::closeAsync);
                    if (!closed) attemptFailed(error);
                }, thread);
    }

    private void up(Cluster c) {
        backoff = Duration.ofMillis(100);
        topology = topology(client.getPartitions());
        shards = countShards(client.getPartitions());
        cluster = c;
        problem = null;
        downLogged = false;
        LOG.info("wspush redis cluster: connected via " + where + " (" + shards + " shards); this node publishes as "
                + origin);
        subscriptions.connected(commands(c));
        loadRevocations(c);
        firstAttempt.complete(null);
    }

    /**
     * SCAN on each master that owns slots, MGET through the cluster connection (split by slot). Not Lettuce's own
     * cluster SCAN: after a failover it failed for good in RedisClusterIT (it seems to visit the dead master too).
     */
    private CompletableFuture<Map<String, Long>> loadEveryMaster(Cluster c) {
        List<CompletableFuture<Map<String, Long>>> each = new ArrayList<>();
        for (RedisClusterNode n : masters(client.getPartitions())) {
            try {
                each.add(c.pub.getConnectionAsync(n.getUri().getHost(), n.getUri().getPort())
                        .thenCompose(node -> stored.load(node.async(), c.pub.async())));
            } catch (RuntimeException e) {
                each.add(CompletableFuture.failedFuture(e));
            }
        }
        return CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0])).thenApply(done -> {
            Map<String, Long> found = new HashMap<>();
            for (CompletableFuture<Map<String, Long>> f : each) found.putAll(f.join());
            return found;
        });
    }

    /**
     * Loads every stored revocation from every master (broker thread; see RedisBroker.loadRevocations): at link-up,
     * again while the last load failed, and after the slot owners changed (a control message published while this
     * node's control subscription was moving to another cluster node is still found in the store).
     */
    private void loadRevocations(Cluster c) {
        if (loading) return;
        loading = true;
        loadEveryMaster(c).orTimeout(4 * slowTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenCompleteAsync((found, error) -> {
                    loading = false;
                    if (cluster != c) return;
                    if (error != null) {
                        metrics.brokerErrors.increment();
                        if (LOG.isLoggable(Level.FINE)) {
                            LOG.fine("wspush redis cluster: loading revocations failed, retrying: " + RedisLink.reason(error));
                        }
                        return;
                    }
                    long cutoff = System.currentTimeMillis() - revocationTtl.toMillis();
                    for (Map.Entry<String, Long> e : found.entrySet()) {
                        if (e.getValue() >= cutoff) local.applyStoredRevocation(e.getKey(), e.getValue());
                    }
                    revocationsLoaded = true;
                    if (firstLoad.complete(null)) {
                        LOG.info("wspush redis cluster: " + found.size() + " stored revocations loaded");
                    } else if (LOG.isLoggable(Level.FINE)) {
                        LOG.fine("wspush redis cluster: " + found.size() + " stored revocations loaded again");
                    }
                }, thread);
    }

    private void attemptFailed(Throwable error) {
        problem = "redis cluster unreachable at " + where + " (" + RedisLink.reason(error) + "); local delivery only";
        if (!downLogged) {
            downLogged = true;
            LOG.warning("wspush redis cluster: " + problem + ". Retrying in the background.");
        }
        nextAttemptNanos = System.nanoTime() + backoff.toNanos();
        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        firstAttempt.complete(null);
    }

    /**
     * Opens the node connections to every master before they are needed: Lettuce opens them on first use, and
     * with REJECT_COMMANDS a command that meets a connection still opening fails. Completes when all succeeded or
     * failed (a master that is down is reported by {@link #check}).
     */
    private CompletableFuture<Void> warm(Cluster c) {
        List<CompletableFuture<?>> opening = new ArrayList<>();
        for (RedisClusterNode n : masters(client.getPartitions())) {
            String host = n.getUri().getHost();
            int port = n.getUri().getPort();
            try {
                // Host and port: the key Lettuce uses for commands routed by slot.
                opening.add(c.pub.getConnectionAsync(host, port));
                opening.add(c.sub.getConnectionAsync(host, port));
            } catch (RuntimeException e) {
                // not in the topology any more: the next check sees it
            }
        }
        return CompletableFuture.allOf(opening.toArray(new CompletableFuture<?>[0]))
                .orTimeout(slowTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .handle((ok, error) -> null);
    }

    private static List<RedisClusterNode> masters(Partitions partitions) {
        List<RedisClusterNode> masters = new ArrayList<>();
        for (RedisClusterNode n : partitions) {
            if (n.is(RedisClusterNode.NodeFlag.UPSTREAM) && !n.getSlots().isEmpty()) masters.add(n);
        }
        return masters;
    }

    /** The sharded subscribe/unsubscribe, one command per slot: Redis refuses channels of several slots in one. */
    private RedisSubscriptions.Commands commands(Cluster c) {
        return new RedisSubscriptions.Commands() {
            @Override
            public CompletionStage<?> subscribe(List<String> userIds) {
                return perSlot(userIds, channels -> c.sub.async().ssubscribe(channels));
            }

            @Override
            public CompletionStage<?> unsubscribe(List<String> userIds) {
                return perSlot(userIds, channels -> c.sub.async().sunsubscribe(channels));
            }
        };
    }

    private static CompletableFuture<Void> perSlot(List<String> userIds, Function<String[], RedisFuture<?>> command) {
        Map<Integer, List<String>> bySlot = new LinkedHashMap<>();
        for (String user : userIds) {
            String channel = RedisBroker.userChannel(user);
            bySlot.computeIfAbsent(SlotHash.getSlot(channel), s -> new ArrayList<>()).add(channel);
        }
        List<CompletableFuture<?>> sent = new ArrayList<>(bySlot.size());
        for (List<String> channels : bySlot.values()) {
            try {
                sent.add(command.apply(channels.toArray(new String[0])).toCompletableFuture());
            } catch (RuntimeException e) {
                sent.add(CompletableFuture.failedFuture(e));
            }
        }
        return CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0]));
    }

    // ---- the timer (broker thread) ----

    private void tick() {
        try {
            if (closed) return;
            ticks++;
            Cluster c = cluster;
            if (c == null) {
                if (!connecting && System.nanoTime() - nextAttemptNanos >= 0) connect();
                return;
            }
            String now = topology(client.getPartitions());
            if (!now.equals(topology)) {
                topology = now;
                shards = countShards(client.getPartitions());
                LOG.info("wspush redis cluster: slot owners changed; subscribing this node's users on their shards "
                        + "again (" + subscriptions.describe() + ")");
                // Routed by slot to the new owners, once their connections are open.
                warm(c).thenRunAsync(() -> {
                    if (cluster != c) return;
                    subscriptions.connected(commands(c));
                    loadRevocations(c);
                }, thread);
            }
            subscriptions.retryFailed();
            flush(c);
            gate.tick();
            if (!revocationsLoaded) loadRevocations(c); // the last load failed: again, one at a time
            if (ticks % CHECK_EVERY_TICKS == 0) check(c);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "wspush redis cluster: timer failed", e);
        }
    }

    /** The masters that own slots, with their slots: changes on failover and resharding. */
    private static String topology(Partitions partitions) {
        List<String> masters = new ArrayList<>();
        for (RedisClusterNode n : masters(partitions)) {
            List<Integer> slots = n.getSlots();
            masters.add(n.getNodeId() + "@" + n.getUri().getHost() + ":" + n.getUri().getPort() + "="
                    + slots.size() + "/" + slots.hashCode());
        }
        masters.sort(null);
        return String.join(";", masters);
    }

    private static int countShards(Partitions partitions) {
        return masters(partitions).size();
    }

    /** Pings every master that owns slots, and the control subscription; a degraded cluster is refreshed. */
    private void check(Cluster c) {
        if (checking) return;
        checking = true;
        List<RedisClusterNode> masters = masters(client.getPartitions());
        List<CompletableFuture<String>> pings = new ArrayList<>();
        for (RedisClusterNode n : masters) {
            CompletableFuture<String> ping;
            try {
                ping = c.pub.getConnectionAsync(n.getUri().getHost(), n.getUri().getPort())
                        .thenCompose(conn -> conn.async().ping().toCompletableFuture());
            } catch (RuntimeException e) {
                ping = CompletableFuture.failedFuture(e);
            }
            pings.add(ping.orTimeout(slowTimeout.toMillis(), TimeUnit.MILLISECONDS));
        }
        CompletableFuture.allOf(pings.toArray(new CompletableFuture<?>[0]))
                .handle((ok, error) -> null)
                .thenRunAsync(() -> {
                    checking = false;
                    if (cluster != c) return;
                    List<String> down = new ArrayList<>();
                    for (int i = 0; i < masters.size(); i++) {
                        if (pings.get(i).isCompletedExceptionally()) down.add(describe(masters.get(i)));
                    }
                    shardsDown = down.size();
                    boolean control = c.sub.isOpen();
                    if (down.isEmpty() && control) {
                        if (problem != null) LOG.info("wspush redis cluster: all " + masters.size() + " shards answer again");
                        problem = null;
                        return;
                    }
                    String why = down.isEmpty() ? "" : down.size() + " of " + masters.size() + " shards unreachable ("
                            + String.join(", ", down) + "): pushes to their users are local only until a replica "
                            + "takes over";
                    if (!control) why += (why.isEmpty() ? "" : "; ") + "control channel reconnecting";
                    if (problem == null) LOG.warning("wspush redis cluster: " + why);
                    problem = "redis cluster: " + why;
                    refresh();
                }, thread);
    }

    private static String describe(RedisClusterNode n) {
        List<Integer> slots = n.getSlots();
        int first = slots.isEmpty() ? 0 : slots.get(0);
        int last = slots.isEmpty() ? 0 : slots.get(slots.size() - 1);
        String range = slots.isEmpty() ? "no slots"
                : last - first + 1 == slots.size() ? "slots " + first + "-" + last
                : slots.size() + " slots in " + first + "-" + last;
        return n.getUri().getHost() + ":" + n.getUri().getPort() + " " + range;
    }

    /** Asks the cluster for its topology now (a failover shows up within a second, not a periodic refresh). */
    private void refresh() {
        if (refreshing) return;
        refreshing = true;
        client.refreshPartitionsAsync().whenCompleteAsync((ok, error) -> refreshing = false, thread);
    }

    // ---- pushes and disconnects ----

    /**
     * How one push reaches its user's shard: {@code SPUBLISH} on the user's channel, routed by its slot; completes
     * with the number of subscribers (nodes) it reached. With history the push goes through {@link RedisHistory}'s
     * script instead, which SPUBLISHes from the user's shard.
     */
    static RedisFuture<Long> send(RedisClusterAsyncCommands<String, String> redis, Delivery d, String channel,
                                  String payload) {
        return redis.spublish(channel, payload);
    }

    @Override
    public int publish(Delivery d) {
        Cluster c = cluster;
        return publisher.publish(local, d, c == null ? null : c.pub.async(),
                redis -> send(redis, d, RedisBroker.userChannel(d.userId), RedisPayload.push(origin, d).encode()),
                e -> failed("publish", e), this::selfCounted);
    }

    /** With history: the script on the user's shard keeps the push and SPUBLISHes it (see {@link RedisPublisher}). */
    @Override
    public Published publish(Delivery d, String id) {
        if (!history) return new Published(publish(d), 0, null);
        Cluster c = cluster;
        return publisher.publish(local, d, id, RedisBroker.userChannel(d.userId), c == null ? null : c.pub.async(),
                e -> failed("publish", e), this::selfCounted);
    }

    /**
     * Resumes a v1 connection as in single mode: once this node's sharded subscription to the user's channel is
     * confirmed by the shard's master, the history is read there in one script.
     */
    @Override
    public void sync(String userId, Sequencer s, Since since) {
        if (!history) {
            Broker.super.sync(userId, s, since);
            return;
        }
        publisher.sync(userId, s, since, () -> {
            Cluster c = cluster;
            return c == null ? null : c.pub.async();
        }, () -> subscriptions.whenSubscribed(userId));
    }

    /**
     * A broadcast: this node's connections, the others by one classic PUBLISH on the control channel. The answer
     * counts this node's connections only: in a cluster, PUBLISH's receiver count covers the subscribers of the one
     * cluster node it ran on, not the nodes the cluster bus forwards it to.
     */
    @Override
    public int broadcast(Delivery d) {
        int n = local.broadcastLocally(d);
        Cluster c = cluster;
        if (c == null) {
            metrics.brokerErrors.increment();
            return n;
        }
        try {
            c.pub.async().publish(CONTROL_CHANNEL, RedisPayload.broadcast(origin, d).encode())
                    .get(timeoutNanos, TimeUnit.NANOSECONDS);
            return n;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed("publish", e);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            failed("publish", e);
        }
        return n;
    }

    @Override
    public int disconnect(String userId, long revokedAtEpochMillis) {
        int n = local.disconnectLocally(userId, revokedAtEpochMillis);
        String payload = RedisPayload.disconnect(origin, userId, revokedAtEpochMillis).encode();
        Cluster c = cluster;
        if (c == null) {
            metrics.brokerErrors.increment();
            hold(payload, revokedAtEpochMillis);
            return n;
        }
        String channel = RedisBroker.userChannel(userId);
        long deadline = System.nanoTime() + timeoutNanos;
        CompletableFuture<Long> sent = null;
        try {
            // SHARDNUMSUB answers for the node it runs on: ask the master of the user's slot.
            RedisClusterNode owner = client.getPartitions().getMasterBySlot(SlotHash.getSlot(channel));
            CompletableFuture<Map<String, Long>> holders = owner == null
                    ? CompletableFuture.completedFuture(Map.of())
                    : c.pub.getConnectionAsync(owner.getUri().getHost(), owner.getUri().getPort())
                    .thenCompose(conn -> conn.async().pubsubShardNumsub(channel).toCompletableFuture());
            // Stored on the user's shard and published to every node, in one script (see RedisRevocations).
            sent = stored.write(c.pub.async(), userId, revokedAtEpochMillis, payload).toCompletableFuture();
            sent.whenComplete((ok, error) -> {
                if (error != null) hold(payload, revokedAtEpochMillis);
            });
            sent.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            Long holding = holders.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS).get(channel);
            long others = (holding == null ? 0 : holding) - (selfCounted(userId) ? 1 : 0);
            return n + (int) Math.max(0, Math.min(Integer.MAX_VALUE - n, others));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed("disconnect", e);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            if (sent == null) hold(payload, revokedAtEpochMillis);
            failed("disconnect", e);
        }
        return n;
    }

    /** See RedisBroker.selfCounted. */
    private boolean selfCounted(String userId) {
        return local.holdsLocally(userId) || subscriptions.isSubscribed(userId);
    }

    /** Classic PUBLISH to the node's channel (every node subscribes its own, like the control channel). */
    @Override
    public void sendToNode(String node, String report) {
        Cluster c = cluster;
        if (c == null) {
            metrics.brokerErrors.increment();
            return;
        }
        try {
            c.pub.async().publish(RedisBroker.nodeChannel(node), report).whenComplete((ok, error) -> {
                if (error != null) metrics.brokerErrors.increment();
            });
        } catch (RuntimeException e) {
            metrics.brokerErrors.increment();
        }
    }

    private void failed(String what, Throwable e) {
        metrics.brokerErrors.increment();
        if (errorLogged.compareAndSet(false, true)) {
            // A publish waits at most the budget, then completes (or fails) in the background.
            long waitedMs = "publish".equals(what) ? budgetMillis : Duration.ofNanos(timeoutNanos).toMillis();
            LOG.warning("wspush redis cluster: " + what + " failed or took over " + waitedMs + " ms (" + RedisLink.reason(e) + "); answering with "
                    + "the local count. Further failures are counted in wspush_broker_errors_total, not logged.");
        }
    }

    // ---- operator disconnects that could not be published (as HeldDisconnects in single mode) ----

    private void hold(String payload, long atMillis) {
        held.addLast(new String[] {payload, Long.toString(atMillis)});
        if (held.size() > MAX_HELD_DISCONNECTS) held.pollFirst();
    }

    /** Sends held disconnects one at a time, in order (broker thread). */
    private void flush(Cluster c) {
        if (flushing) return;
        String[] h = held.pollFirst();
        while (h != null && Long.parseLong(h[1]) < System.currentTimeMillis() - revocationTtl.toMillis()) {
            h = held.pollFirst(); // older than any token should live: no longer worth sending
        }
        if (h == null) return;
        String[] sending = h;
        flushing = true;
        CompletableFuture<Long> sent;
        try {
            RedisPayload d = RedisPayload.decode(sending[0]);
            sent = stored.write(c.pub.async(), d.userId(), d.at(), sending[0]).toCompletableFuture();
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenCompleteAsync((v, error) -> {
            flushing = false;
            if (error != null) {
                held.addFirst(sending);
                metrics.brokerErrors.increment();
            } else if (cluster == c) {
                flush(c);
            }
        }, thread);
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
        if (LOG.isLoggable(Level.FINE)) {
            LOG.fine("wspush redis cluster: (un)subscribe failed, retrying: " + RedisLink.reason(e));
        }
    }

    // ---- incoming ----

    private final class Incoming extends RedisClusterPubSubAdapter<String, String> {

        @Override
        public void smessage(RedisClusterNode node, String channel, String message) {
            // Only the slot's master counts: a node connection that Lettuce reconnected to a former master (now a
            // replica, which also receives sharded messages) would otherwise deliver every push twice.
            if (node != null && client != null) {
                RedisClusterNode owner = client.getPartitions().getMasterBySlot(SlotHash.getSlot(channel));
                if (owner != null && !owner.getNodeId().equals(node.getNodeId())) return;
            }
            handle(channel, message, true);
        }

        @Override
        public void message(RedisClusterNode node, String channel, String message) {
            handle(channel, message, false);
        }

        /**
         * Redis drops the sharded subscriptions of a slot that moves away (resharding) and says so: if this node
         * still holds the user, ask for the topology now, and the change of slot owners resubscribes her there.
         */
        @Override
        public void sunsubscribed(RedisClusterNode node, String channel, long count) {
            if (!channel.startsWith(RedisBroker.USER_CHANNEL_PREFIX) || !channel.endsWith("}")) return;
            String user = channel.substring(RedisBroker.USER_CHANNEL_PREFIX.length() + 1, channel.length() - 1);
            if (local.holdsLocally(user)) {
                try {
                    thread.execute(RedisClusterBroker.this::refresh);
                } catch (RejectedExecutionException closing) {
                    // closed
                }
            }
        }

        private void handle(String channel, String message, boolean sharded) {
            if (!sharded && channel.startsWith(RedisBroker.NODE_CHANNEL_PREFIX)) {
                if (channel.equals(RedisBroker.nodeChannel(origin))) local.fromNode(message);
                return;
            }
            RedisPayload p;
            try {
                p = RedisPayload.decode(message);
            } catch (IllegalArgumentException e) {
                metrics.brokerErrors.increment();
                if (malformedLogged.compareAndSet(false, true)) {
                    LOG.warning("wspush redis cluster: ignoring a message on " + channel + " that is not a wspush "
                            + "payload (" + e.getMessage() + "); further ones are counted in "
                            + "wspush_broker_errors_total, not logged");
                }
                return;
            }
            boolean own = origin.equals(p.origin());
            // Already delivered locally by publish/disconnect; with history, resuming connections take it again.
            if (own && (!history || p.kind() != RedisPayload.Kind.PUSH || p.offset() == 0)) return;
            try {
                if (p.kind() == RedisPayload.Kind.PUSH) {
                    if (sharded && channel.equals(RedisBroker.userChannel(p.userId()))) {
                        local.deliverLocally(p.delivery(), own ? Route.ECHO : Route.REMOTE);
                    }
                } else if (p.kind() == RedisPayload.Kind.BROADCAST) {
                    if (!sharded && CONTROL_CHANNEL.equals(channel)) local.broadcastLocally(p.delivery());
                } else if (!sharded && CONTROL_CHANNEL.equals(channel)) {
                    local.disconnectLocally(p.userId(), p.at());
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "wspush redis cluster: handling a message from " + p.origin() + " failed", e);
            }
        }
    }

    // ---- Broker ----

    /** The cluster connection's commands (routed by slot), null while not connected (for {@link RedisPresence}). */
    RedisClusterAsyncCommands<String, String> commands() {
        Cluster c = cluster;
        return c == null ? null : c.pub.async();
    }

    @Override
    public String problem() {
        String down = problem;
        if (down != null) return down;
        if (!revocationsLoaded) {
            return "redis cluster: revocations not loaded yet; tokens are checked against this node's known revocations only";
        }
        return gate.problem();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        cluster = null;
        problem = "closed";
        thread.shutdownNow();
        RedisLink.shutdown(client, resources, slowTimeout);
        if (!held.isEmpty()) {
            LOG.warning("wspush redis cluster: closing with " + held.size() + " operator disconnects that never "
                    + "reached Redis");
        }
    }
}
