package io.wspush.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
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

    static final String KEY = "push-key-0123456789";

    /** A complete, valid configuration plus the given settings (name without "wspush.", null value removes). */
    static Config configured(String... nameValues) {
        Map<String, String> m = new HashMap<>(Map.of("wspush.token.secret", SECRET, "wspush.push.key", KEY));
        for (int i = 0; i < nameValues.length; i += 2) {
            if (nameValues[i + 1] == null) m.remove("wspush." + nameValues[i]);
            else m.put("wspush." + nameValues[i], nameValues[i + 1]);
        }
        return config(m);
    }

    static String refusal(String... nameValues) {
        String message = assertThrows(IllegalStateException.class, () -> configured(nameValues)).getMessage();
        assertFalse(message.contains("\n"), "one line: " + message);
        return message;
    }

    @Test
    void noSettingsAtAllRefusesToStartInsteadOfFallingIntoDemoMode() {
        // Before: a deployment whose settings went missing started in demo mode (push key "demo").
        String m = refusal("token.secret", null, "push.key", null);
        assertTrue(m.contains("wspush.token.secret") && m.contains("wspush.push.key") && m.contains("wspush.demo=true"), m);
    }

    @Test
    void batchLimitAndDeflateSettings() {
        Config c = configured();
        assertEquals(1000, c.pushMaxItems());
        assertFalse(c.wsPermessageDeflate());
        assertEquals(7, configured("push.max-items", "7").pushMaxItems());
        assertTrue(configured("ws.permessage-deflate", "true").wsPermessageDeflate());
        assertTrue(refusal("push.max-items", "0").contains("wspush.push.max-items"));
    }

    @Test
    void presenceKeyFollowsThePushKeyUnlessSetAndTtlIsBounded() {
        Config c = configured("push.key.previous", "old-push-key-0123456789");
        assertEquals(KEY, c.presenceKey());
        assertEquals("old-push-key-0123456789", c.previousPresenceKey());
        assertEquals(Duration.ofSeconds(15), c.presenceTtl());
        Config own = configured("presence.key", "presence-key-0123456789", "push.key.previous", "old-push-key-0123456789");
        assertEquals("presence-key-0123456789", own.presenceKey());
        assertEquals(null, own.previousPresenceKey(), "a rotation of the push key is not one of the presence key");
        assertTrue(refusal("presence.key", "short").contains("wspush.presence.key"));
        assertTrue(refusal("presence.key.previous", "old-presence-key-0123456789").contains("wspush.presence.key.previous"));
        assertTrue(refusal("presence.ttl", "0.1").contains("wspush.presence.ttl"));
        assertEquals(Duration.ofMillis(2500), configured("presence.ttl", "2.5").presenceTtl());
        assertTrue(refusal("demo", "true", "token.secret", null, "push.key", null, "presence.key", "presence-key-0123456789")
                .contains("wspush.presence.key"));
    }

    @Test
    void tokenExpiryEnforcement() {
        assertEquals(ExpiryEnforcement.V1, configured().tokenEnforceExpiry());
        assertEquals(ExpiryEnforcement.ALL, configured("token.enforce-expiry", "all").tokenEnforceExpiry());
        assertEquals(ExpiryEnforcement.NONE, configured("token.enforce-expiry", "None").tokenEnforceExpiry());
        assertTrue(ExpiryEnforcement.V1.covers(true) && !ExpiryEnforcement.V1.covers(false));
        assertTrue(ExpiryEnforcement.ALL.covers(false) && !ExpiryEnforcement.NONE.covers(true));
        String m = refusal("token.enforce-expiry", "plain");
        assertEquals("wspush.token.enforce-expiry must be 'v1', 'all' or 'none', got 'plain'", m);
    }

    @Test
    void demoModeOnlyWhenAskedFor() {
        Config c = configured("token.secret", null, "push.key", null, "demo", "true");
        assertTrue(c.demo());
        assertEquals(Config.DEMO_PUSH_KEY, c.pushKey());
        assertEquals(Config.DEMO_PUSH_KEY, c.adminKey());
        assertEquals(32, c.tokenSecret().length);
        assertEquals(List.of(), c.warnings());
        assertFalse(configured("demo", "false").demo());
        assertFalse(configured("demo", "FALSE").demo());
    }

    @Test
    void demoTogetherWithSecretsOrKeysIsRefused() {
        String m = refusal("demo", "true");
        assertTrue(m.contains("wspush.token.secret") && m.contains("wspush.push.key") && m.contains("wspush.demo"), m);
        for (String name : Config.SECRET_SETTINGS) {
            String value = name.startsWith("token") ? SECRET : KEY;
            m = refusal("token.secret", null, "push.key", null, "demo", "true", name, value);
            assertTrue(m.contains("wspush." + name), m);
        }
    }

    @Test
    void aDemoFlagThatIsNeitherTrueNorFalseIsRefused() {
        assertTrue(refusal("token.secret", null, "push.key", null, "demo", "yes").contains("wspush.demo"));
        assertTrue(refusal("demo", "ture").contains("wspush.demo"));
    }

    @Test
    void idleTimeoutMustLeaveRoomForAPingRoundTrip() {
        // Before: accepted, and every connection was closed 4003 between two pings.
        String m = refusal("ping.interval", "30", "idle.timeout", "20");
        assertTrue(m.contains("wspush.idle.timeout") && m.contains("wspush.ping.interval") && m.contains("20")
                && m.contains("30"), m);
        assertTrue(refusal("ping.interval", "25", "idle.timeout", "49.5").contains("49.5"));
        assertTrue(refusal("ping.interval", "40").contains("wspush.idle.timeout"), "default idle 60 < 2 x 40");
        Config c = configured("ping.interval", "0.5", "idle.timeout", "1");
        assertEquals(Duration.ofSeconds(1), c.idleTimeout());
        assertEquals(Duration.ofSeconds(60), configured("ping.interval", "30").idleTimeout());
    }

    @Test
    void everyKeyHasTheMinimumLengthOfThePushKey() {
        for (String name : List.of("push.key", "push.key.previous", "admin.key", "metrics.key")) {
            String m = refusal(name, "short-key-15chr");
            assertTrue(m.contains("wspush." + name) && m.contains("16 characters"), m);
            assertFalse(m.contains("short-key-15chr"), "the key is not echoed: " + m);
        }
        String m = refusal("admin.key", "admin-key-0123456789", "admin.key.previous", "short");
        assertTrue(m.contains("wspush.admin.key.previous"), m);
        Config c = configured("push.key.previous", "old-push-key-0123456789", "admin.key", "admin-key-0123456789",
                "admin.key.previous", "old-admin-key-0123456789", "metrics.key", "metrics-key-0123456789");
        assertEquals("old-admin-key-0123456789", c.previousAdminKey());
        assertEquals("metrics-key-0123456789", c.metricsKey());
    }

    @Test
    void previousAdminKeyWithoutAnAdminKeyIsRefused() {
        String m = refusal("admin.key.previous", "old-admin-key-0123456789");
        assertTrue(m.contains("wspush.admin.key.previous") && m.contains("wspush.admin.key "), m);
    }

    @Test
    void sharedKeysAreWarnedAbout() {
        List<String> w = configured().warnings();
        assertEquals(2, w.size(), w.toString());
        assertTrue(w.get(0).contains("wspush.admin.key is not set"), w.get(0));
        assertTrue(w.get(1).contains("wspush.metrics.key is not set") && w.get(1).contains("push key"), w.get(1));
        w = configured("admin.key", "admin-key-0123456789").warnings();
        assertEquals(1, w.size(), w.toString());
        assertTrue(w.get(0).contains("wspush.metrics.key is not set") && w.get(0).contains("admin key"), w.get(0));
        assertEquals(List.of(), configured("admin.key", "admin-key-0123456789", "metrics.key",
                "metrics-key-0123456789").warnings());
        for (String warning : configured().warnings()) assertFalse(warning.contains(KEY), warning);
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
        assertEquals(Duration.ofMillis(50), c.redisPublishBudget());
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
