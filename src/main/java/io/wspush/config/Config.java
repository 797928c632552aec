package io.wspush.config;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The settings wspush runs with, read and checked once at start. Names and defaults are documented in README
 * ("Settings"); a bad value stops the deployment with a message naming the setting.
 */
public record Config(
        boolean demo,
        byte[] tokenSecret,
        byte[] previousTokenSecret,
        Duration clockSkew,
        String pushKey,
        String previousPushKey,
        String adminKey,
        String previousAdminKey,
        String metricsKey,
        Duration registerTimeout,
        Duration pingInterval,
        Duration idleTimeout,
        Duration sendTimeout,
        Duration shutdownGrace,
        int pushMaxBytes,
        int frameMaxBytes,
        int maxConnections,
        int maxConnectionsPerUser,
        int queueMaxMessages,
        long queueMaxBytes,
        List<String> allowedOrigins,
        Duration revocationTtl,
        String broker,
        String redisUri,
        Duration redisTimeout,
        String nodeId,
        /** What the operator should hear at start: settings that work but are risky (e.g. one key for everything). */
        List<String> warnings,
        Duration reconnectSpread,
        boolean tokenRequireExp,
        Duration redisPublishBudget,
        int redisPublishMaxInflight,
        int historySize,
        Duration historyTtl,
        long historyMaxBytes,
        /** Whether a client's offer of permessage-deflate is accepted (browsers always offer it). */
        boolean wsPermessageDeflate,
        /** Most users (multicast) or items (array) one {@code POST /push} may name. */
        int pushMaxItems,
        /** The key of {@code /presence}: its own, else the push key. */
        String presenceKey,
        String previousPresenceKey,
        /** How long a node's presence counts without a heartbeat (Redis brokers): a crashed node's staleness bound. */
        Duration presenceTtl,
        /** Which open connections are closed when their token expires ({@code wspush.token.enforce-expiry}). */
        ExpiryEnforcement tokenEnforceExpiry,
        /** How long {@code /demo/token}'s tokens live (demo mode only; short to watch tokens renew in place). */
        Duration demoTokenTtl,
        /** Longest {@code "receipts":{"wait":...}} a push may ask for. */
        Duration receiptsMaxWait,
        /** Most pushes waiting for receipts on this node at once. */
        int receiptsMaxPending) {

    public static final String DEMO_PUSH_KEY = "demo";

    /** Whether pushes get offsets and are kept for resuming clients ({@code wspush.history.size} above 0). */
    public boolean history() {
        return historySize > 0;
    }

    /**
     * The container's own idle timeout for WebSocket sessions: only a backstop behind the heartbeat (pings every
     * {@code pingInterval}, silent peers closed after {@code idleTimeout}), so it never fires first.
     */
    public Duration containerIdleTimeout() {
        return idleTimeout.plus(pingInterval).plusSeconds(10);
    }

    /** Bearer keys (push, admin, metrics, and their previous values) are at least this long. */
    public static final int MIN_KEY_LENGTH = 16;

    /** The settings demo mode replaces with its own values: setting one of them beside wspush.demo is an error. */
    static final List<String> SECRET_SETTINGS = List.of("token.secret", "token.secret.previous", "push.key",
            "push.key.previous", "admin.key", "admin.key.previous", "metrics.key", "presence.key",
            "presence.key.previous");

    public static Config from(Settings s) {
        // Demo mode is asked for, never inferred: a deployment whose settings went missing must not start open.
        boolean demo = s.flag("demo", false);
        String secret = s.raw("token.secret");
        String pushKey = s.raw("push.key");
        if (demo) {
            List<String> set = SECRET_SETTINGS.stream().filter(n -> s.raw(n) != null).map(n -> "wspush." + n).toList();
            if (!set.isEmpty()) {
                throw new IllegalStateException("wspush.demo=true cannot be combined with " + String.join(", ", set)
                        + ": demo mode generates its own secret and uses the public push key 'demo'; remove "
                        + "wspush.demo for a real deployment (under mvn jetty:run add -Dwspush.demo=false)");
            }
        } else if (secret == null && pushKey == null) {
            throw new IllegalStateException("wspush is not configured: set wspush.token.secret (at least 32 bytes) and "
                    + "wspush.push.key (at least " + MIN_KEY_LENGTH + " characters) as system properties, WSPUSH_* "
                    + "environment variables or context parameters, or wspush.demo=true for a loopback-only demo");
        } else if (secret == null || pushKey == null) {
            throw new IllegalStateException("wspush.token.secret and wspush.push.key must be set together ("
                    + (secret == null ? "wspush.token.secret" : "wspush.push.key") + " is missing)");
        }
        byte[] secretBytes;
        if (demo) {
            secretBytes = new byte[32];
            new SecureRandom().nextBytes(secretBytes);
            pushKey = DEMO_PUSH_KEY;
        } else {
            secretBytes = secret.getBytes(StandardCharsets.UTF_8);
            if (secretBytes.length < 32) {
                // RFC 7518 3.2: an HS256 key must be at least as long as the hash output.
                throw new IllegalStateException("wspush.token.secret must be at least 32 bytes (RFC 7518 section 3.2)");
            }
            key(s, "push.key");
        }
        String previousSecret = demo ? null : s.raw("token.secret.previous");
        if (previousSecret != null && previousSecret.getBytes(StandardCharsets.UTF_8).length < 32) {
            throw new IllegalStateException("wspush.token.secret.previous must be at least 32 bytes");
        }
        String previousPushKey = key(s, "push.key.previous");
        String ownAdminKey = key(s, "admin.key");
        String ownPreviousAdminKey = key(s, "admin.key.previous");
        if (ownAdminKey == null && ownPreviousAdminKey != null) {
            throw new IllegalStateException("wspush.admin.key.previous is set but wspush.admin.key is not "
                    + "(the admin key follows the push key, and its previous value wspush.push.key.previous)");
        }
        String ownMetricsKey = key(s, "metrics.key");
        String ownPresenceKey = key(s, "presence.key");
        String ownPreviousPresenceKey = key(s, "presence.key.previous");
        if (ownPresenceKey == null && ownPreviousPresenceKey != null) {
            throw new IllegalStateException("wspush.presence.key.previous is set but wspush.presence.key is not "
                    + "(the presence key follows the push key, and its previous value wspush.push.key.previous)");
        }
        String adminKey = ownAdminKey == null ? pushKey : ownAdminKey;
        String previousAdminKey = ownAdminKey == null ? previousPushKey : ownPreviousAdminKey;
        String metricsKey = ownMetricsKey == null ? adminKey : ownMetricsKey;
        List<String> warnings = new ArrayList<>();
        if (!demo && ownAdminKey == null) {
            warnings.add("wspush.admin.key is not set, so the push key is also the admin key: every pusher can "
                    + "disconnect users and revoke their tokens (POST /admin/disconnect); set wspush.admin.key to a "
                    + "key of its own");
        }
        if (!demo && ownMetricsKey == null) {
            warnings.add("wspush.metrics.key is not set, so /metrics takes the " + (ownAdminKey == null
                    ? "push key: whoever scrapes metrics can also push and disconnect users"
                    : "admin key: whoever scrapes metrics can also disconnect users")
                    + "; set wspush.metrics.key to a key of its own");
        }
        Duration pingInterval = s.seconds("ping.interval", 25, 0.1, 3600);
        Duration idleTimeout = s.seconds("idle.timeout", 60, 0.2, 86400);
        if (idleTimeout.compareTo(pingInterval.multipliedBy(2)) < 0) {
            // The pong to a ping is due one round trip after it; a whole ping interval is left for that round trip.
            throw new IllegalStateException("wspush.idle.timeout (" + seconds(idleTimeout) + " s) must be at least "
                    + "twice wspush.ping.interval (" + seconds(pingInterval) + " s): below that, connections that "
                    + "answer every ping are closed as dead");
        }
        byte[] nodeBytes = new byte[6];
        new SecureRandom().nextBytes(nodeBytes);
        String nodeId = s.string("node.id", Base64.getUrlEncoder().withoutPadding().encodeToString(nodeBytes));
        return new Config(
                demo,
                secretBytes,
                previousSecret == null ? null : previousSecret.getBytes(StandardCharsets.UTF_8),
                s.seconds("token.clock-skew", 30, 0, 3600),
                pushKey,
                previousPushKey,
                adminKey,
                previousAdminKey,
                metricsKey,
                s.seconds("register.timeout", 10, 0.1, 3600),
                pingInterval,
                idleTimeout,
                s.seconds("send.timeout", 10, 0.1, 3600),
                s.seconds("shutdown.grace", 5, 0, 300),
                s.integer("push.max-bytes", 1024 * 1024, 64, 64 * 1024 * 1024),
                s.integer("ws.max-frame-bytes", 8192, 256, 16 * 1024 * 1024),
                s.integer("limit.connections", 50_000, 1, 10_000_000),
                s.integer("limit.connections-per-user", 100, 1, 1_000_000),
                s.integer("queue.max-messages", 1000, 1, 10_000_000),
                s.number("queue.max-bytes", 4L * 1024 * 1024, 1024, 1L << 40),
                s.list("allowed-origins", "*"),
                s.seconds("revocation.ttl", 86_400, 1, 365 * 86_400.0),
                s.string("broker", "memory"),
                s.string("redis.uri", "redis://127.0.0.1:6379"),
                s.seconds("redis.timeout", 0.5, 0.01, 60),
                nodeId,
                List.copyOf(warnings),
                s.seconds("shutdown.reconnect-spread", 5, 0, 300),
                s.flag("token.require-exp", true),
                s.seconds("redis.publish-budget", 0.05, 0, 60),
                s.integer("redis.publish-max-inflight", 1000, 1, 1_000_000),
                s.integer("history.size", 100, 0, 100_000),
                s.seconds("history.ttl", 300, 1, 7 * 86_400.0),
                s.number("history.max-bytes", 256L * 1024 * 1024, 1024, 1L << 40),
                s.flag("ws.permessage-deflate", false),
                s.integer("push.max-items", 1000, 1, 1_000_000),
                ownPresenceKey == null ? pushKey : ownPresenceKey,
                ownPresenceKey == null ? previousPushKey : ownPreviousPresenceKey,
                s.seconds("presence.ttl", 15, 0.3, 3600),
                ExpiryEnforcement.parse(s.string("token.enforce-expiry", "v1")),
                s.seconds("demo.token-ttl", 3600, 2, 86_400),
                s.seconds("receipts.max-wait", 10, 0.001, 300),
                s.integer("receipts.max-pending", 10_000, 1, 1_000_000));
    }

    /** A bearer key setting, or null when unset; refused when shorter than {@link #MIN_KEY_LENGTH}. */
    private static String key(Settings s, String name) {
        String v = s.raw(name);
        if (v != null && v.length() < MIN_KEY_LENGTH) {
            throw new IllegalStateException("wspush." + name + " must be at least " + MIN_KEY_LENGTH + " characters");
        }
        return v;
    }

    private static String seconds(Duration d) {
        return java.math.BigDecimal.valueOf(d.toMillis(), 3).stripTrailingZeros().toPlainString();
    }

    /** Keeps secrets out of logs even when a Config is printed by mistake. */
    @Override
    public String toString() {
        return "Config[demo=" + demo + ", broker=" + broker + ", node=" + nodeId + ", registerTimeout=" + registerTimeout
                + ", pingInterval=" + pingInterval + ", idleTimeout=" + idleTimeout + ", pushMaxBytes=" + pushMaxBytes
                + ", frameMaxBytes=" + frameMaxBytes + ", maxConnections=" + maxConnections + ", maxConnectionsPerUser="
                + maxConnectionsPerUser + ", queueMaxMessages=" + queueMaxMessages + ", queueMaxBytes=" + queueMaxBytes
                + ", allowedOrigins=" + allowedOrigins + ", historySize=" + historySize + ", historyTtl=" + historyTtl
                + ", historyMaxBytes=" + historyMaxBytes + ", wsPermessageDeflate=" + wsPermessageDeflate
                + ", pushMaxItems=" + pushMaxItems + ", presenceTtl=" + presenceTtl
                + ", tokenEnforceExpiry=" + tokenEnforceExpiry + ", receiptsMaxWait=" + receiptsMaxWait + ", receiptsMaxPending="
                + receiptsMaxPending + "]";
    }
}
