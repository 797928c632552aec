package io.wspush.config;

import io.wspush.testing.LogCapture;
import io.wspush.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real WAR refuses to start on settings that would run it open or broken, with a reason naming the settings,
 * and warns at start about settings that work but are risky.
 */
class StartRefusalIT {

    /** Starts the WAR, expects it to refuse, and answers the reason Config gave (found in the cause chain). */
    static String refusal(TestServer.Builder builder) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> builder.start().close());
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().startsWith("wspush")) return t.getMessage();
        }
        throw new AssertionError("no wspush reason in the cause chain", e);
    }

    @Test
    void aWarWithNoSettingsAtAllRefusesToStart() {
        // Before: it started in demo mode (push key "demo", tokens for anyone at /demo/token).
        String m = refusal(TestServer.builder().set("token.secret", null).set("push.key", null));
        assertTrue(m.startsWith("wspush is not configured"), m);
        assertTrue(m.contains("wspush.token.secret") && m.contains("wspush.push.key") && m.contains("wspush.demo=true"), m);
        assertFalse(m.contains("\n"), m);
    }

    @Test
    void demoModeTogetherWithASecretRefusesToStart() {
        String m = refusal(TestServer.builder().set("demo", "true"));
        assertTrue(m.contains("wspush.demo=true") && m.contains("wspush.token.secret"), m);
        assertFalse(m.contains(TestServer.SECRET), m);
    }

    @Test
    void idleTimeoutBelowTwoPingIntervalsRefusesToStart() {
        // Before: accepted; every registered connection was closed 4003 before the next ping could be answered.
        String m = refusal(TestServer.builder().set("ping.interval", "30").set("idle.timeout", "20"));
        assertTrue(m.contains("wspush.idle.timeout") && m.contains("wspush.ping.interval"), m);
    }

    @Test
    void shortAdminMetricsAndPreviousKeysRefuseToStart() {
        for (String name : List.of("admin.key", "metrics.key", "push.key.previous")) {
            String m = refusal(TestServer.builder().set(name, "too-short"));
            assertTrue(m.contains("wspush." + name) && m.contains("16"), m);
        }
    }

    @Test
    void sharedAdminAndMetricsKeysAreWarnedAboutAtStart() {
        List<String> warnings;
        try (LogCapture log = LogCapture.of("io.wspush")) {
            try (TestServer ignored = TestServer.start()) {
                warnings = log.messages(Level.WARNING);
                assertTrue(warnings.stream().anyMatch(m -> m.contains("wspush.admin.key is not set")), "admin key warning");
                assertTrue(warnings.stream().anyMatch(m -> m.contains("wspush.metrics.key is not set")),
                        "metrics key warning");
            }
            log.clear();
            try (TestServer ignored = TestServer.builder().set("admin.key", "admin-key-0123456789abcdef")
                    .set("metrics.key", "metrics-key-0123456789abcdef").start()) {
                assertEquals(List.of(), log.messages(Level.WARNING).stream().filter(m -> m.contains(".key")).toList());
            }
            warnings = new java.util.ArrayList<>(warnings);
            warnings.addAll(log.messages(Level.WARNING));
        }
        for (String m : warnings) assertFalse(m.contains(TestServer.PUSH_KEY), m);
    }
}
