package io.wspush.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigTest {

    static final String SECRET = "0123456789abcdef0123456789abcdef";

    static Config config(Map<String, String> params) {
        return Config.from(Settings.load(params::get));
    }

    @Test
    void noSecretAndNoKeyIsDemoMode() {
        Config c = config(Map.of());
        assertTrue(c.demo());
        assertEquals(Config.DEMO_PUSH_KEY, c.pushKey());
        assertEquals(32, c.tokenSecret().length);
    }

    @Test
    void defaults() {
        Config c = config(Map.of("wspush.token.secret", SECRET, "wspush.push.key", "push-key-0123456789"));
        assertFalse(c.demo());
        assertEquals(1024 * 1024, c.pushMaxBytes());
        assertEquals(Duration.ofSeconds(10), c.registerTimeout());
        assertEquals(Duration.ofSeconds(25), c.pingInterval());
        assertEquals("push-key-0123456789", c.adminKey());
        assertEquals("push-key-0123456789", c.metricsKey());
        assertEquals(List.of("*"), c.allowedOrigins());
        assertEquals("memory", c.broker());
    }

    @Test
    void halfConfiguredIsRefused() {
        assertThrows(IllegalStateException.class, () -> config(Map.of("wspush.token.secret", SECRET)));
        assertThrows(IllegalStateException.class, () -> config(Map.of("wspush.push.key", "push-key-0123456789")));
    }

    @Test
    void weakSecretsAndKeysAreRefused() {
        assertThrows(IllegalStateException.class, () -> config(Map.of("wspush.token.secret", "short", "wspush.push.key", "push-key-0123456789")));
        assertThrows(IllegalStateException.class, () -> config(Map.of("wspush.token.secret", SECRET, "wspush.push.key", "short")));
    }

    @Test
    void badNumbersNameTheSetting() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> config(Map.of(
                "wspush.token.secret", SECRET, "wspush.push.key", "push-key-0123456789", "wspush.push.max-bytes", "lots")));
        assertTrue(e.getMessage().contains("wspush.push.max-bytes"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> config(Map.of(
                "wspush.token.secret", SECRET, "wspush.push.key", "push-key-0123456789", "wspush.register.timeout", "-1")));
        assertTrue(e.getMessage().contains("wspush.register.timeout"), e.getMessage());
    }

    @Test
    void fractionalSecondsAndLists() {
        Config c = config(Map.of("wspush.token.secret", SECRET, "wspush.push.key", "push-key-0123456789",
                "wspush.register.timeout", "0.25", "wspush.allowed-origins", " https://a.example , https://b.example,"));
        assertEquals(Duration.ofMillis(250), c.registerTimeout());
        assertEquals(List.of("https://a.example", "https://b.example"), c.allowedOrigins());
    }

    @Test
    void systemPropertyWinsOverContextParameter() {
        System.setProperty("wspush.queue.max-messages", "77");
        try {
            Config c = config(Map.of("wspush.token.secret", SECRET, "wspush.push.key", "push-key-0123456789",
                    "wspush.queue.max-messages", "5"));
            assertEquals(77, c.queueMaxMessages());
        } finally {
            System.clearProperty("wspush.queue.max-messages");
        }
    }

    @Test
    void environmentVariableNames() {
        assertEquals("WSPUSH_TOKEN_SECRET", Settings.envName("token.secret"));
        assertEquals("WSPUSH_PUSH_MAX_BYTES", Settings.envName("push.max-bytes"));
        assertEquals("WSPUSH_LIMIT_CONNECTIONS_PER_USER", Settings.envName("limit.connections-per-user"));
    }

    @Test
    void toStringNeverShowsSecrets() {
        Config c = config(Map.of("wspush.token.secret", SECRET, "wspush.push.key", "push-key-0123456789"));
        assertFalse(c.toString().contains(SECRET));
        assertFalse(c.toString().contains("push-key-0123456789"));
    }

    @Test
    void failClosedSettings() {
        Config c = config(Map.of("wspush.token.secret", SECRET, "wspush.push.key", "push-key-0123456789"));
        assertTrue(c.tokenRequireExp());
        assertEquals(Duration.ofMillis(5), c.redisPublishBudget());
        assertEquals(1000, c.redisPublishMaxInflight());
        c = config(Map.of("wspush.token.secret", SECRET, "wspush.push.key", "push-key-0123456789",
                "wspush.token.require-exp", "FALSE", "wspush.redis.publish-budget", "0",
                "wspush.redis.publish-max-inflight", "8"));
        assertFalse(c.tokenRequireExp());
        assertEquals(Duration.ZERO, c.redisPublishBudget());
        assertEquals(8, c.redisPublishMaxInflight());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> config(Map.of(
                "wspush.token.secret", SECRET, "wspush.push.key", "push-key-0123456789", "wspush.token.require-exp", "no")));
        assertTrue(e.getMessage().contains("wspush.token.require-exp"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> config(Map.of(
                "wspush.token.secret", SECRET, "wspush.push.key", "push-key-0123456789",
                "wspush.redis.publish-max-inflight", "0")));
        assertTrue(e.getMessage().contains("wspush.redis.publish-max-inflight"), e.getMessage());
    }
}
