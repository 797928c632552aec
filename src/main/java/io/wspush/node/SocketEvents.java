package io.wspush.node;

import io.wspush.auth.TokenException;
import io.wspush.auth.TokenVerifier;
import io.wspush.config.Config;
import io.wspush.connection.Connection;
import io.wspush.connection.ConnectionWriter;
import io.wspush.connection.Sequencer;
import io.wspush.metrics.PushMetrics;
import io.wspush.protocol.AckFrame;
import io.wspush.protocol.Disconnect;
import io.wspush.protocol.Envelopes;
import io.wspush.protocol.LogText;
import io.wspush.protocol.RegistrationFrame;
import io.wspush.registry.SessionRegistry;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;

import java.util.List;
import java.util.concurrent.Executor;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The socket side of the node: what each WebSocket event means. The endpoint calls it; it opens connections,
 * registers them (token, frame, limits), refuses what is not allowed with a close code, and runs the sweep
 * (registration timeouts, heartbeats, dead peers). As every connection's {@link Connection.Owner} it also learns
 * when a connection closes.
 */
public final class SocketEvents implements Connection.Owner {

    private static final Logger LOG = Logger.getLogger(SocketEvents.class.getName());

    private final Node node;
    private final Config config;
    private final SessionRegistry registry;
    private final TokenVerifier tokens;
    private final PushMetrics metrics;
    private final Executor closer;
    private final ConnectionWriter.Limits limits;
    private final long heartbeatSeconds;
    private final TokenRefresh refresh;
    /** Timer thread only. */
    private long lastPingNanos = System.nanoTime();

    SocketEvents(Node node, Config config, SessionRegistry registry, TokenVerifier tokens, PushMetrics metrics,
                 Executor closer, ConnectionWriter.Limits limits) {
        this.node = node;
        this.config = config;
        this.registry = registry;
        this.tokens = tokens;
        this.metrics = metrics;
        this.closer = closer;
        this.limits = limits;
        this.heartbeatSeconds = Math.max(1, Math.round(config.pingInterval().toMillis() / 1000.0));
        this.refresh = new TokenRefresh(config, tokens, metrics);
    }

    /** Whether the handshake may accept permessage-deflate ({@code wspush.ws.permessage-deflate}). */
    public boolean deflateAllowed() {
        return config.wsPermessageDeflate();
    }

    /** The handshake's {@code Origin} check. */
    public boolean originAllowed(String origin) {
        List<String> allowed = config.allowedOrigins();
        if (allowed.contains("*")) return true;
        return origin != null && allowed.contains(origin);
    }

    public Connection open(Session session) {
        // Tomcat's blocking close/ping writes wait this long at most on a stuck socket (ignored elsewhere).
        session.getUserProperties().put("org.apache.tomcat.websocket.BLOCKING_SEND_TIMEOUT", 2000L);
        session.setMaxTextMessageBufferSize(config.frameMaxBytes());
        session.setMaxBinaryMessageBufferSize(Math.min(config.frameMaxBytes(), 1024));
        session.getAsyncRemote().setSendTimeout(config.sendTimeout().toMillis());
        // The container's idle timeout (a backstop behind our heartbeat) normally came with the session, from the
        // default NodeLifecycle gave the container: setting it again here races Tyrus's first idle check (see there).
        long idleMillis = config.containerIdleTimeout().toMillis();
        if (session.getMaxIdleTimeout() != idleMillis) session.setMaxIdleTimeout(idleMillis);
        Connection c = new Connection(session, this, limits);
        if (node.state() != Node.State.RUNNING) {
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
            if (TokenRefresh.beforeRegistration(c, text)) refuse(c, Disconnect.REGISTRATION_EXPECTED);
            else register(c, text);
        } else if (c.v1() && Envelopes.isPing(text)) {
            c.sendText(Envelopes.PONG);
        } else if (c.v1() && AckFrame.looksLikeAck(text)) {
            node.acked(c, text);
        } else {
            refresh.offer(c, text); // a v1 client's {"type":"refresh"}; other frames are ignored, as wserver did
        }
    }

    public void binary(Connection c) {
        c.close(Disconnect.BINARY);
    }

    public void closed(Connection c, CloseReason reason) {
        c.markClosed(reason);
    }

    public void failed(Connection c, Throwable error) {
        if (LOG.isLoggable(Level.FINE)) LOG.log(Level.FINE, c + " error: " + LogText.escape(String.valueOf(error)));
        // Containers follow onError with onClose; marking here too covers the ones that do not.
        c.markClosed(new CloseReason(CloseReason.CloseCodes.CLOSED_ABNORMALLY, "error: " + error.getClass().getSimpleName()));
    }

    private void register(Connection c, String text) {
        boolean resuming = c.v1() && config.history();
        RegistrationFrame frame = RegistrationFrame.parse(text, resuming);
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
        c.tokenIssuedAt(id.issuedAt());
        c.tokenExpiresAt(id.expiresAt());
        if (resuming) {
            // Before any push can reach it: the sequencer sends "registered" (with what a resume recovered) first,
            // then the replayed history, then live pushes.
            c.sequencer(new Sequencer(c, config.queueMaxMessages(), (recovered, missed) ->
                    Envelopes.registered(id.userId(), frame.event(), heartbeatSeconds, recovered, missed)));
        } else if (c.v1()) {
            // v1: "registered" is queued before the connection is visible to pushes (and to the sweep's pings), and
            // everything after it is held back until registration is complete, so it is always the first frame.
            c.holdWith(Envelopes.registered(id.userId(), frame.event(), heartbeatSeconds));
        }
        c.registered(id.userId(), frame.event());
        SessionRegistry.Added added = registry.register(c, config.maxConnectionsPerUser());
        if (added != SessionRegistry.Added.USER_LIMIT) node.presenceChanged(id.userId());
        if (added == SessionRegistry.Added.USER_LIMIT) {
            refuse(c, Disconnect.USER_LIMIT);
            return;
        }
        // A revocation that arrived between the check above and the registry would have missed this connection.
        if (tokens.isRevoked(id)) {
            refuse(c, Disconnect.tokenRefused(TokenException.Kind.REVOKED.reason));
            return;
        }
        if (c.isClosed()) {
            // Closed while registering: undo, so the registry never keeps a closed connection.
            if (registry.remove(c)) node.userLeft(id.userId());
            node.presenceChanged(id.userId());
            return;
        }
        if (added == SessionRegistry.Added.FIRST_OF_USER) node.userArrived(id.userId());
        metrics.registrations.increment();
        if (resuming) node.sync(c, frame.since());
        c.release();
        LOG.info("register " + c + " user=" + LogText.escape(id.userId())
                + (frame.event() == null ? "" : " event=" + LogText.escape(frame.event())));
    }

    private void refuse(Connection c, CloseReason reason) {
        metrics.refusals.increment();
        c.close(reason); // logged by closing()
    }

    /**
     * Registration timeouts, token expiry ({@code wspush.token.enforce-expiry}), heartbeat pings and dead-peer
     * detection, for every connection in one pass.
     */
    void sweep() {
        try {
            long now = System.nanoTime();
            long registerNanos = config.registerTimeout().toNanos();
            long idleNanos = config.idleTimeout().toNanos();
            long sendNanos = config.sendTimeout().toNanos();
            boolean pingRound = now - lastPingNanos >= config.pingInterval().toNanos();
            if (pingRound) lastPingNanos = now;
            long nowMillis = System.currentTimeMillis();
            long v1ExpiredBefore = refresh.cutoff(true, nowMillis);
            long plainExpiredBefore = refresh.cutoff(false, nowMillis);
            for (Connection c : registry.openConnections()) {
                if (c.isClosed()) continue;
                if (!c.registered()) {
                    if (now - c.openedNanos() > registerNanos) c.close(Disconnect.REGISTRATION_TIMEOUT);
                } else if (c.tokenExpiresAtMillis() < (c.v1() ? v1ExpiredBefore : plainExpiredBefore)) {
                    c.close(Disconnect.TOKEN_EXPIRED); // exp + clock skew passed without a refresh
                } else if (c.pingOverdue(now, sendNanos)) {
                    // Its socket is full (it floods pings and never reads the pongs, or just stopped reading).
                    c.close(Disconnect.SLOW_CONSUMER);
                } else if (now - c.lastHeardNanos() > idleNanos) {
                    c.close(Disconnect.HEARTBEAT_TIMEOUT);
                } else if (pingRound) {
                    c.ping();
                    if (c.v1()) c.sendText(Envelopes.PING);
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "sweep failed", e);
        }
    }

    // ---- Connection.Owner ----

    @Override
    public void closing(Connection c, CloseReason reason) {
        if (registry.remove(c)) node.userLeft(c.userId());
        if (c.userId() != null) node.presenceChanged(c.userId()); // any connection, not only the user's last
        if (reason == Disconnect.SLOW_CONSUMER) metrics.slowConsumerCloses.increment();
        int code = reason.getCloseCode().getCode();
        metrics.closed(Disconnect.metricLabel(code));
        // The reason may be the client's own (its close frame): escaped, never a second log line.
        LOG.info("close " + c + (c.userId() == null ? "" : " user=" + LogText.escape(c.userId())) + ": " + code
                + (reason.getReasonPhrase() == null || reason.getReasonPhrase().isEmpty() ? ""
                : " " + LogText.escape(reason.getReasonPhrase())));
    }

    @Override
    public void sent(Connection c, long queuedNanos) {
        metrics.sent(queuedNanos);
    }

    @Override
    public void sendFailed(Connection c, Throwable cause) {
        if (LOG.isLoggable(Level.FINE)) LOG.fine("send to " + c + " failed: " + LogText.escape(String.valueOf(cause)));
    }

    @Override
    public void closeLater(Runnable r) {
        try {
            closer.execute(r);
        } catch (RuntimeException rejected) {
            r.run(); // shutting down: close inline rather than leave the socket open
        }
    }
}
