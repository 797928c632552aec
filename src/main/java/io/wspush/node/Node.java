package io.wspush.node;

import io.wspush.auth.KeyCheck;
import io.wspush.auth.Revocations;
import io.wspush.auth.TokenException;
import io.wspush.auth.TokenVerifier;
import io.wspush.broker.Broker;
import io.wspush.broker.Brokers;
import io.wspush.config.Config;
import io.wspush.endpoint.RegistrationFrame;
import io.wspush.metrics.PushMetrics;
import io.wspush.push.Delivery;
import io.wspush.registry.SessionRegistry;
import io.wspush.session.Connection;
import io.wspush.session.Disconnect;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.stream.JsonGenerator;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;

import java.io.IOException;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The wspush node: owns the settings, token checks, broker and timers, and decides what each WebSocket event
 * means. Started and stopped by {@link NodeLifecycle} with the web application.
 */
@ApplicationScoped
public class Node implements Broker.LocalNode, Connection.Owner {

    private static final Logger LOG = Logger.getLogger(Node.class.getName());
    private static final String PONG = "{\"type\":\"pong\"}";
    private static final String PING = "{\"type\":\"ping\"}";
    /** Created once: {@code Json.createGenerator} looks the provider up through a ServiceLoader on every call. */
    private static final jakarta.json.stream.JsonGeneratorFactory JSON = Json.createGeneratorFactory(java.util.Map.of());

    public enum State { STARTING, RUNNING, STOPPING, STOPPED }

    @Inject
    SessionRegistry registry;

    private volatile State state = State.STARTING;
    private Config config;
    private Clock clock = Clock.systemUTC();
    private TokenVerifier tokens;
    private Revocations revocations;
    private KeyCheck pushKey;
    private KeyCheck adminKey;
    private KeyCheck metricsKey;
    private Broker broker;
    private PushMetrics metrics;
    private Connection.Limits limits;
    private ScheduledExecutorService timer;
    private ExecutorService closer;
    private long lastPingNanos = System.nanoTime();

    /**
     * The instance behind the CDI proxy. Lifecycle and WebSocket callbacks keep this one, because they may run
     * after the container has shut CDI down (undeploy order differs between containers), when proxies throw.
     */
    public void unwrap(java.util.function.Consumer<Node> receiver) {
        receiver.accept(this); // 'this' as an argument is never swapped for the proxy
    }

    /** Weld's proxy swaps a returned 'this' for itself, hence the callback in {@link #unwrap}. */
    public static Node real(Node maybeProxy) {
        Node[] real = new Node[1];
        maybeProxy.unwrap(n -> real[0] = n);
        return real[0];
    }

    public synchronized void start(Config config) {
        if (state != State.STARTING) return;
        SessionRegistry[] real = new SessionRegistry[1];
        registry.unwrap(r -> real[0] = r);
        this.registry = real[0];
        this.config = config;
        this.revocations = new Revocations(config.revocationTtl(), clock);
        this.tokens = new TokenVerifier(config.tokenSecret(), config.previousTokenSecret(), config.clockSkew(),
                revocations, clock);
        this.pushKey = new KeyCheck(config.pushKey(), config.previousPushKey());
        this.adminKey = new KeyCheck(config.adminKey(), config.previousAdminKey());
        this.metricsKey = new KeyCheck(config.metricsKey(), config.metricsKey().equals(config.adminKey())
                ? config.previousAdminKey() : null);
        this.limits = new Connection.Limits(config.queueMaxMessages(), config.queueMaxBytes());
        this.metrics = new PushMetrics();
        metrics.gauge("wspush.connections", "Open WebSocket connections", registry::openCount);
        metrics.gauge("wspush.connections.registered", "Registered connections", registry::registeredCount);
        metrics.gauge("wspush.users", "Users with at least one connection on this node", registry::userCount);
        metrics.gauge("wspush.broker.up", "1 when the broker works, else 0", () -> broker.problem() == null ? 1 : 0);
        AtomicInteger closerThreads = new AtomicInteger();
        this.closer = new ThreadPoolExecutor(1, 4, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "wspush-closer-" + closerThreads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        ((ThreadPoolExecutor) closer).allowCoreThreadTimeOut(true);
        this.broker = Brokers.create(config, metrics);
        broker.start(this);
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "wspush-timer");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        this.timer = t;
        long tickMillis = Math.max(20, Math.min(1000, Math.min(config.registerTimeout().toMillis(),
                Math.min(config.pingInterval().toMillis(), config.idleTimeout().toMillis())) / 4));
        timer.scheduleWithFixedDelay(this::sweep, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(revocations::expireOld, 1, 1, TimeUnit.MINUTES);
        state = State.RUNNING;
        if (config.demo()) {
            LOG.warning("wspush DEMO MODE: no wspush.token.secret / wspush.push.key set. A random token secret was "
                    + "generated, the push key is '" + Config.DEMO_PUSH_KEY + "', and only loopback clients are "
                    + "served. Set both settings for a real deployment.");
        }
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
        for (Connection c : new ArrayList<>(registry.openConnections())) {
            c.close(Disconnect.SHUTDOWN);
        }
        closer.shutdown();
        try {
            if (!closer.awaitTermination(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
                closer.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        broker.close();
        metrics.close();
        state = State.STOPPED;
        LOG.info("wspush node stopped");
    }

    public State state() {
        return state;
    }

    public Config config() {
        return config;
    }

    public SessionRegistry registry() {
        return registry;
    }

    public PushMetrics metrics() {
        return metrics;
    }

    public TokenVerifier tokens() {
        return tokens;
    }

    public boolean pushAllowed(String authorization) {
        return pushKey.accepts(authorization);
    }

    public boolean adminAllowed(String authorization) {
        return adminKey.accepts(authorization);
    }

    public boolean metricsAllowed(String authorization) {
        return metricsKey.accepts(authorization);
    }

    public boolean originAllowed(String origin) {
        List<String> allowed = config == null ? List.of("*") : config.allowedOrigins();
        if (allowed.contains("*")) return true;
        return origin != null && allowed.contains(origin);
    }

    /** Null when all is well, otherwise the reason the node is degraded. */
    public String problem() {
        return broker == null ? "starting" : broker.problem();
    }

    // ---- WebSocket events ----

    public Connection open(Session session) {
        // Tomcat's blocking close/ping writes wait this long at most on a stuck socket (ignored elsewhere).
        session.getUserProperties().put("org.apache.tomcat.websocket.BLOCKING_SEND_TIMEOUT", 2000L);
        session.setMaxTextMessageBufferSize(config.frameMaxBytes());
        session.setMaxBinaryMessageBufferSize(Math.min(config.frameMaxBytes(), 1024));
        session.getAsyncRemote().setSendTimeout(config.sendTimeout().toMillis());
        // The container's own idle timeout is only a backstop behind our heartbeat.
        session.setMaxIdleTimeout(config.idleTimeout().toMillis() + config.pingInterval().toMillis() + 10_000);
        Connection c = new Connection(session, this, limits);
        if (state != State.RUNNING) {
            c.close(Disconnect.SHUTDOWN);
            return c;
        }
        if (!registry.open(c, config.maxConnections())) {
            metrics.refusals.increment();
            c.close(Disconnect.SERVER_FULL);
            return c;
        }
        if (LOG.isLoggable(Level.FINE)) LOG.fine("open " + c + (c.v1() ? " (wspush.v1)" : ""));
        return c;
    }

    public void text(Connection c, String text) {
        c.heard();
        if (c.isClosed()) return;
        if (!c.registered()) {
            register(c, text);
        } else if (c.v1() && isPing(text)) {
            c.sendText(PONG);
        }
        // Other frames after registration are ignored, as wserver did.
    }

    private void register(Connection c, String text) {
        RegistrationFrame frame = RegistrationFrame.parse(text);
        if (frame == null) {
            refuse(c, Disconnect.REGISTRATION_EXPECTED);
            return;
        }
        TokenVerifier.Identity id;
        try {
            id = tokens.verify(frame.token());
        } catch (TokenException e) {
            refuse(c, Disconnect.tokenRefused(e.getMessage()));
            return;
        }
        c.registered(id.userId(), frame.event());
        SessionRegistry.Added added = registry.register(c, config.maxConnectionsPerUser());
        if (added == SessionRegistry.Added.USER_LIMIT) {
            refuse(c, Disconnect.USER_LIMIT);
            return;
        }
        if (c.isClosed()) {
            // Closed while registering: undo, so the registry never keeps a closed connection.
            if (registry.remove(c)) broker.userLeft(id.userId());
            return;
        }
        if (added == SessionRegistry.Added.FIRST_OF_USER) broker.userArrived(id.userId());
        metrics.registrations.increment();
        if (c.v1()) c.sendText(registeredEnvelope(id.userId(), frame.event()));
        LOG.info("register " + c + " user=" + id.userId() + (frame.event() == null ? "" : " event=" + frame.event()));
    }

    private void refuse(Connection c, CloseReason reason) {
        metrics.refusals.increment();
        c.close(reason); // logged by closing()
    }

    public void closed(Connection c, CloseReason reason) {
        c.markClosed(reason);
    }

    public void failed(Connection c, Throwable error) {
        if (LOG.isLoggable(Level.FINE)) LOG.log(Level.FINE, c + " error: " + error);
        // Containers follow onError with onClose; marking here too covers the ones that do not.
        c.markClosed(new CloseReason(CloseReason.CloseCodes.CLOSED_ABNORMALLY, "error: " + error.getClass().getSimpleName()));
    }

    // ---- Connection.Owner ----

    @Override
    public void closing(Connection c, CloseReason reason) {
        if (registry.remove(c) && broker != null) broker.userLeft(c.userId());
        if (reason == Disconnect.SLOW_CONSUMER) metrics.slowConsumerCloses.increment();
        int code = reason.getCloseCode().getCode();
        metrics.closed(Integer.toString(code));
        LOG.info("close " + c + (c.userId() == null ? "" : " user=" + c.userId()) + ": " + code
                + (reason.getReasonPhrase() == null || reason.getReasonPhrase().isEmpty() ? "" : " " + reason.getReasonPhrase()));
    }

    @Override
    public void sent(Connection c, long queuedNanos) {
        metrics.sent(queuedNanos);
    }

    @Override
    public void sendFailed(Connection c, Throwable cause) {
        if (LOG.isLoggable(Level.FINE)) LOG.fine("send to " + c + " failed: " + cause);
    }

    @Override
    public void closeLater(Runnable r) {
        try {
            closer.execute(r);
        } catch (RuntimeException rejected) {
            r.run(); // shutting down: close inline rather than leave the socket open
        }
    }

    // ---- pushes ----

    /** @return the {@code delivered} count; throws IllegalStateException while not running */
    public int publish(String userId, String event, String message) {
        if (state != State.RUNNING) throw new IllegalStateException("node is " + state.name().toLowerCase());
        metrics.pushes.increment();
        int n = broker.publish(new Delivery(userId, event, message, System.currentTimeMillis()));
        if (LOG.isLoggable(Level.FINE)) LOG.fine("push user=" + userId + " delivered=" + n);
        return n;
    }

    public int disconnect(String userId) {
        if (state != State.RUNNING) throw new IllegalStateException("node is " + state.name().toLowerCase());
        return broker.disconnect(userId, clock.millis());
    }

    @Override
    public int deliverLocally(Delivery d) {
        int n = 0;
        Connection[] targets = registry.connections(d.userId);
        for (Connection c : targets) {
            if (d.matches(c.event())) {
                if (c.send(d)) n++;
                else metrics.dropped.increment();
            }
        }
        metrics.delivered.increment(n);
        return n;
    }

    @Override
    public int disconnectLocally(String userId, long revokedAtEpochMillis) {
        revocations.revoke(userId, Instant.ofEpochMilli(revokedAtEpochMillis));
        int n = 0;
        for (Connection c : registry.connections(userId)) {
            c.close(Disconnect.OPERATOR);
            n++;
        }
        LOG.info("operator disconnect user=" + userId + " connections=" + n);
        return n;
    }

    @Override
    public boolean holdsLocally(String userId) {
        return registry.holds(userId);
    }

    // ---- timers ----

    /** Registration timeouts, heartbeat pings and dead-peer detection, for every connection in one pass. */
    private void sweep() {
        try {
            long now = System.nanoTime();
            long registerNanos = config.registerTimeout().toNanos();
            long idleNanos = config.idleTimeout().toNanos();
            boolean pingRound = now - lastPingNanos >= config.pingInterval().toNanos();
            if (pingRound) lastPingNanos = now;
            for (Connection c : registry.openConnections()) {
                if (c.isClosed()) continue;
                if (!c.registered()) {
                    if (now - c.openedNanos() > registerNanos) c.close(Disconnect.REGISTRATION_TIMEOUT);
                } else if (now - c.lastHeardNanos() > idleNanos) {
                    c.close(Disconnect.HEARTBEAT_TIMEOUT);
                } else if (pingRound) {
                    c.ping();
                    if (c.v1()) c.sendText(PING);
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "sweep failed", e);
        }
    }

    private static boolean isPing(String text) {
        return text.length() < 64 && text.replace(" ", "").equals(PING);
    }

    private String registeredEnvelope(String userId, String event) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeStartObject().write("type", "registered").write("userId", userId);
            if (event == null) g.writeNull("event");
            else g.write("event", event);
            g.write("heartbeat", Math.max(1, Math.round(config.pingInterval().toMillis() / 1000.0))).writeEnd();
        }
        return w.toString();
    }
}
