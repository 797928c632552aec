package io.wspush.node;

import io.wspush.auth.Keys;
import io.wspush.auth.Revocations;
import io.wspush.auth.TokenVerifier;
import io.wspush.broker.Broker;
import io.wspush.broker.Brokers;
import io.wspush.broker.Presence;
import io.wspush.config.Config;
import io.wspush.connection.Connection;
import io.wspush.connection.ConnectionWriter;
import io.wspush.connection.Sequencer;
import io.wspush.metrics.PushMetrics;
import io.wspush.protocol.Delivery;
import io.wspush.protocol.Disconnect;
import io.wspush.protocol.LogText;
import io.wspush.protocol.ReceiptTag;
import io.wspush.protocol.RegistrationFrame;
import io.wspush.receipts.Receipts;
import io.wspush.registry.SessionRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.websocket.CloseReason;
import jakarta.enterprise.inject.Produces;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The wspush node: its lifecycle, its parts, and the way pushes travel. {@link #publish} hands a message to the
 * broker, which delivers it here ({@link #deliverLocally}) and on every other node holding the user. What each
 * socket event means is the socket side's job ({@link SocketEvents}). Started and stopped by {@link NodeLifecycle}
 * with the web application.
 *
 * <p>The node is the one CDI bean of the core. Its parts reach the resources and the endpoint by injection, through
 * the producer methods below; each returns the running node's own object.
 */
@ApplicationScoped
public class Node implements Broker.LocalNode {

    private static final Logger LOG = Logger.getLogger(Node.class.getName());

    public enum State { STARTING, RUNNING, STOPPING, STOPPED }

    private final SessionRegistry registry = new SessionRegistry();
    private final Clock clock = Clock.systemUTC();
    private volatile State state = State.STARTING;
    private Config config;
    private Keys keys;
    private TokenVerifier tokens;
    private Revocations revocations;
    private Broker broker;
    private Presence presence;
    private PushMetrics metrics;
    private SocketEvents sockets;
    private Receipts receipts;
    private ScheduledThreadPoolExecutor timer;
    private ThreadPoolExecutor closer;
    private ThreadPoolExecutor pinger;

    /**
     * The instance behind a CDI client proxy: the one place wspush gets past Weld's proxies. The lifecycle keeps
     * this one, because its last calls may come after the container shut CDI down (undeploy order differs between
     * containers), when proxies throw. 'this' passed as an argument is never swapped for the proxy, as a returned
     * 'this' would be.
     */
    public static Node unproxied(Node maybeProxy) {
        Node[] real = new Node[1];
        maybeProxy.self(n -> real[0] = n);
        return real[0];
    }

    public void self(Consumer<Node> receiver) {
        receiver.accept(this);
    }

    public synchronized void start(Config config) {
        if (state != State.STARTING) return;
        this.config = config;
        this.keys = Keys.from(config);
        this.revocations = new Revocations(config.revocationTtl(), clock);
        this.tokens = new TokenVerifier(config.tokenSecret(), config.previousTokenSecret(), config.clockSkew(),
                revocations, clock, config.tokenRequireExp());
        this.metrics = new PushMetrics();
        metrics.gauge("wspush.connections", "Open WebSocket connections", registry::openCount);
        metrics.gauge("wspush.connections.registered", "Registered connections", registry::registeredCount);
        metrics.gauge("wspush.users", "Users with at least one connection on this node", registry::userCount);
        metrics.gauge("wspush.broker.up", "1 when the broker works, else 0", () -> broker.problem() == null ? 1 : 0);
        this.closer = Pools.closers();
        this.pinger = Pools.pingers();
        ConnectionWriter.Limits limits = new ConnectionWriter.Limits(config.queueMaxMessages(), config.queueMaxBytes(),
                pinger, new ConnectionWriter.Totals());
        metrics.gauge("wspush.queued.messages", "Messages and control frames queued on this node's connections",
                limits.totals()::messages);
        metrics.gauge("wspush.queued.bytes", "Size of the queued frames, counted as wspush.queue.max-bytes counts it "
                + "(characters)", limits.totals()::chars);
        this.broker = Brokers.create(config, metrics, Threads.named("wspush-redis"));
        this.receipts = new Receipts(config, metrics, broker, Threads.named("wspush-receipts"));
        this.sockets = new SocketEvents(this, config, registry, tokens, metrics, closer, limits);
        broker.start(this);
        this.presence = Presence.create(config, broker, new Presence.Local() {
            @Override
            public int connections(String userId) {
                return registry.connections(userId).length;
            }

            @Override
            public Iterable<String> users() {
                return registry.users();
            }
        }, metrics, Threads.named("wspush-presence"));
        this.timer = new ScheduledThreadPoolExecutor(1, Threads.named("wspush-timer"));
        timer.setRemoveOnCancelPolicy(true);
        long tickMillis = Math.max(20, Math.min(1000, Math.min(config.registerTimeout().toMillis(),
                Math.min(config.pingInterval().toMillis(), config.idleTimeout().toMillis())) / 4));
        timer.scheduleWithFixedDelay(sockets::sweep, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(revocations::expireOld, 1, 1, TimeUnit.MINUTES);
        state = State.RUNNING;
        if (config.demo()) {
            LOG.warning("wspush DEMO MODE (wspush.demo=true): a random token secret was generated, the push key is '"
                    + Config.DEMO_PUSH_KEY + "', /demo/token hands out tokens, and only loopback clients without "
                    + "proxy headers are served. Never use it behind a proxy on this host: remove wspush.demo and set "
                    + "wspush.token.secret and wspush.push.key for a real deployment.");
        }
        for (String warning : config.warnings()) LOG.warning(warning);
        LOG.info("wspush node " + config.nodeId() + " started: " + config);
    }

    /** Graceful stop: clients get 1001 so they reconnect elsewhere at once; new pushes are refused. */
    public void stop() {
        synchronized (this) {
            if (state != State.RUNNING) return;
            state = State.STOPPING;
        }
        LOG.info("wspush node stopping: closing " + registry.openCount() + " connections with 1001");
        timer.shutdownNow();
        receipts.stop(); // pushes waiting for receipts are answered with what is known, not left hanging
        // v1 clients learn over how long to spread their reconnects, so a node's clients do not all land at once.
        CloseReason v1Shutdown = Disconnect.shutdownWithSpread(config.reconnectSpread().toMillis());
        for (Connection c : new ArrayList<>(registry.openConnections())) {
            c.close(c.v1() ? v1Shutdown : Disconnect.SHUTDOWN);
        }
        pinger.shutdownNow();
        int abandoned = Pools.finish(closer, config.shutdownGrace());
        if (abandoned > 0) {
            LOG.warning("wspush node stopping: gave up on " + abandoned + " closes after wspush.shutdown.grace ("
                    + config.shutdownGrace().toMillis() + " ms); those clients get no 1001");
        }
        presence.close();
        broker.close();
        metrics.close();
        state = State.STOPPED;
        LOG.info("wspush node stopped");
    }

    /**
     * Answers every push waiting for receipts with what is known and refuses new waits: the application is going
     * away (called before {@link #stop}, while the REST layer can still answer).
     */
    public void answerWaitingReceipts() {
        if (receipts != null) receipts.stop();
    }

    public State state() {
        return state;
    }

    /** Null when all is well, otherwise the reason the node is degraded. */
    public String problem() {
        return broker == null ? "starting" : broker.problem();
    }

    // ---- what the resources and the endpoint get injected ----

    @Produces
    @ApplicationScoped
    SessionRegistry registry() {
        return registry;
    }

    @Produces
    Config config() {
        return config;
    }

    @Produces
    Keys keys() {
        return keys;
    }

    @Produces
    TokenVerifier tokens() {
        return tokens;
    }

    @Produces
    PushMetrics metrics() {
        return metrics;
    }

    @Produces
    SocketEvents sockets() {
        return sockets;
    }

    @Produces
    Receipts receipts() {
        return receipts;
    }

    // ---- pushes ----

    /** @return the {@code delivered} count; throws IllegalStateException while not running */
    public int publish(String userId, String event, String message) {
        return push(userId, event, message, null).delivered();
    }

    /**
     * A push with history: {@code id} (may be null) makes a retry within the TTL answer the first offset without
     * delivering again. Without history this is {@link #publish} with offset 0.
     *
     * @throws IllegalStateException while not running
     */
    public Broker.Published push(String userId, String event, String message, String id) {
        return push(userId, event, message, id, null);
    }

    /**
     * {@link #push} for a pusher waiting for receipts: the delivery carries {@code tag} (null: none) to every node.
     *
     * @throws IllegalStateException while not running
     */
    public Broker.Published push(String userId, String event, String message, String id, ReceiptTag tag) {
        requireRunning();
        metrics.pushes.increment();
        Delivery d = new Delivery(userId, event, message, System.currentTimeMillis());
        if (tag != null) d = d.withReceipt(tag);
        Broker.Published p = broker.publish(d, config.history() ? id : null);
        if (LOG.isLoggable(Level.FINE)) LOG.fine("push user=" + LogText.escape(userId) + " delivered=" + p.delivered() + " offset=" + p.offset());
        return p;
    }

    /** A registered v1 connection sent an ack frame (docs/PROTOCOL.md "Receipts"). */
    void acked(Connection c, String frame) {
        receipts.ackFrame(c, frame);
    }

    /**
     * One message to many users (distinct, at least one), encoded once: without history every user's delivery
     * shares the same frames. @return one answer per user, in order
     * @throws IllegalStateException while not running
     */
    public Broker.Published[] pushMany(java.util.List<String> userIds, String event, String message, String id) {
        requireRunning();
        metrics.pushes.increment(userIds.size());
        Delivery first = new Delivery(userIds.get(0), event, message, System.currentTimeMillis());
        java.util.List<Delivery> ds = new java.util.ArrayList<>(userIds.size());
        ds.add(first);
        for (int i = 1; i < userIds.size(); i++) ds.add(first.to(userIds.get(i)));
        return broker.publishMany(ds, config.history() && id != null ? java.util.Collections.nCopies(ds.size(), id) : null);
    }

    /**
     * Several single pushes (a run of an array's items), in order, each as {@link #push}; the broker may overlap
     * their round trips. {@code ids} may be null, or hold nulls.
     * @throws IllegalStateException while not running
     */
    public Broker.Published[] pushEach(java.util.List<Delivery> ds, java.util.List<String> ids) {
        requireRunning();
        metrics.pushes.increment(ds.size());
        return broker.publishMany(ds, config.history() ? ids : null);
    }

    /**
     * A broadcast to every registered connection whose event matches, on every node; not kept in history.
     * @return this node's connections reached plus the other nodes reached
     * @throws IllegalStateException while not running
     */
    public int broadcast(String event, String message) {
        requireRunning();
        metrics.pushes.increment();
        int n = broker.broadcast(new Delivery(null, event, message, System.currentTimeMillis()));
        if (LOG.isLoggable(Level.FINE)) LOG.fine("broadcast event=" + LogText.escape(String.valueOf(event)) + " delivered=" + n);
        return n;
    }

    /** Syncs a registered resuming connection with its user's history (see {@link Sequencer}). */
    void sync(Connection c, RegistrationFrame.Since since) {
        broker.sync(c.userId(), c.sequencer(), since);
    }

    /** Closes the user's connections on every node and refuses the tokens it holds now. */
    public int disconnect(String userId) {
        requireRunning();
        return broker.disconnect(userId, clock.millis());
    }

    private void requireRunning() {
        if (state != State.RUNNING) throw new IllegalStateException("node is " + state.name().toLowerCase());
    }

    /** A connection's user arrived on or left this node: the broker follows (e.g. Redis subscriptions). */
    void userArrived(String userId) {
        broker.userArrived(userId);
    }

    void userLeft(String userId) {
        if (broker != null) broker.userLeft(userId);
    }

    /** A registered connection of the user was added or removed here (each one, not only the first and last). */
    void presenceChanged(String userId) {
        Presence p = presence;
        if (p != null) p.changed(userId);
    }

    /**
     * Registered connections per user on every node, in the order asked.
     *
     * @throws Presence.Unavailable when the shared counts cannot be read now
     * @throws IllegalStateException while not running
     */
    public int[] presence(java.util.List<String> userIds) throws Presence.Unavailable {
        requireRunning();
        return presence.connections(userIds);
    }

    // ---- Broker.LocalNode ----

    @Override
    public int deliverLocally(Delivery d, Broker.Route route) {
        if (d.receipt != null) return deliverWithReceipt(d, route);
        int n = 0;
        Connection[] targets = registry.connections(d.userId);
        for (Connection c : targets) {
            Sequencer s = c.sequencer();
            if (s != null) {
                // Every push, matching or not: the sequencer follows the user's offsets and filters itself.
                if (route.sequenced && s.offer(d, route.complete)) n++;
            } else if (route.plain && d.matches(c.event())) {
                if (c.send(d)) n++;
                else metrics.dropped.increment();
            }
        }
        if (route != Broker.Route.ECHO) metrics.delivered.increment(n);
        return n;
    }

    /** {@link #deliverLocally} of a push whose pusher waits for receipts: the same rules, noted by {@link Receipts}. */
    private int deliverWithReceipt(Delivery d, Broker.Route route) {
        boolean own = d.receipt.origin() == null || route == Broker.Route.ECHO;
        int n = receipts.deliver(d, own, route == Broker.Route.REMOTE, registry.connections(d.userId), c -> {
            Sequencer s = c.sequencer();
            if (s != null) return route.sequenced && s.offer(d, route.complete);
            if (!route.plain || !d.matches(c.event())) return false;
            if (c.send(d)) return true;
            metrics.dropped.increment();
            return false;
        });
        if (route != Broker.Route.ECHO) metrics.delivered.increment(n);
        return n;
    }

    @Override
    public void fromNode(String report) {
        receipts.fromNode(report);
    }

    @Override
    public int broadcastLocally(Delivery d) {
        int[] n = new int[1];
        registry.forEachRegistered(c -> {
            if (!d.matches(c.event())) return;
            Sequencer s = c.sequencer();
            if (s != null) {
                // Offset 0: no history position; the sequencer sends it after 'registered' (buffered while syncing).
                if (s.offer(d, false)) n[0]++;
            } else if (c.send(d)) {
                n[0]++;
            } else {
                metrics.dropped.increment();
            }
        });
        metrics.delivered.increment(n[0]);
        return n[0];
    }

    @Override
    public int disconnectLocally(String userId, long revokedAtEpochMillis) {
        return revokeLocally(userId, revokedAtEpochMillis, true);
    }

    @Override
    public int applyStoredRevocation(String userId, long revokedAtEpochMillis) {
        return revokeLocally(userId, revokedAtEpochMillis, false);
    }

    private int revokeLocally(String userId, long revokedAtEpochMillis, boolean live) {
        revocations.revoke(userId, Instant.ofEpochMilli(revokedAtEpochMillis));
        int n = 0;
        for (Connection c : registry.connections(userId)) {
            // A disconnect that arrives late (held during an outage, or slower than a reconnect) spares
            // connections registered with a token issued after it.
            if (!c.tokenIssuedUpTo(revokedAtEpochMillis)) continue;
            c.close(Disconnect.OPERATOR);
            n++;
        }
        // Stored revocations loaded from Redis (at start, after a reconnect) are logged only when they close something.
        if (live || n > 0) LOG.info("operator disconnect user=" + LogText.escape(userId) + " connections=" + n);
        return n;
    }

    @Override
    public int resumeRequired() {
        int n = 0;
        for (Connection c : registry.openConnections()) {
            if (c.sequencer() != null && !c.isClosed()) {
                c.close(Disconnect.RESUME_REQUIRED);
                n++;
            }
        }
        if (n > 0) LOG.info("broker link restored: " + n + " resuming connections asked to resume (4004)");
        return n;
    }

    @Override
    public boolean holdsLocally(String userId) {
        return registry.holds(userId);
    }
}
