package io.wspush.config;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
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
        int historySize,
        Duration historyTtl,
        long historyMaxBytes) {

    public static final String DEMO_PUSH_KEY = "demo";

    /** Whether pushes get offsets and are kept for resuming clients ({@code wspush.history.size} above 0). */
    public boolean history() {
        return historySize > 0;
    }

    public static Config from(Settings s) {
        String secret = s.raw("token.secret");
        String pushKey = s.raw("push.key");
        boolean demo = secret == null && pushKey == null;
        if (!demo && (secret == null || pushKey == null)) {
            throw new IllegalStateException("wspush.token.secret and wspush.push.key must be set together "
                    + "(set neither for the loopback-only demo mode)");
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
            if (pushKey.length() < 16) {
                throw new IllegalStateException("wspush.push.key must be at least 16 characters");
            }
        }
        String previousSecret = demo ? null : s.raw("token.secret.previous");
        if (previousSecret != null && previousSecret.getBytes(StandardCharsets.UTF_8).length < 32) {
            throw new IllegalStateException("wspush.token.secret.previous must be at least 32 bytes");
        }
        String previousPushKey = demo ? null : s.raw("push.key.previous");
        String adminKey = s.string("admin.key", pushKey);
        String previousAdminKey = s.raw("admin.key") == null ? previousPushKey : s.raw("admin.key.previous");
        String metricsKey = s.string("metrics.key", adminKey);
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
                s.seconds("ping.interval", 25, 0.1, 3600),
                s.seconds("idle.timeout", 60, 0.2, 86400),
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
                s.integer("history.size", 100, 0, 100_000),
                s.seconds("history.ttl", 300, 1, 7 * 86_400.0),
                s.number("history.max-bytes", 256L * 1024 * 1024, 1024, 1L << 40));
    }

    /** Keeps secrets out of logs even when a Config is printed by mistake. */
    @Override
    public String toString() {
        return "Config[demo=" + demo + ", broker=" + broker + ", node=" + nodeId + ", registerTimeout=" + registerTimeout
                + ", pingInterval=" + pingInterval + ", idleTimeout=" + idleTimeout + ", pushMaxBytes=" + pushMaxBytes
                + ", frameMaxBytes=" + frameMaxBytes + ", maxConnections=" + maxConnections + ", maxConnectionsPerUser="
                + maxConnectionsPerUser + ", queueMaxMessages=" + queueMaxMessages + ", queueMaxBytes=" + queueMaxBytes
                + ", allowedOrigins=" + allowedOrigins + ", historySize=" + historySize + ", historyTtl=" + historyTtl
                + ", historyMaxBytes=" + historyMaxBytes + "]";
    }
}
