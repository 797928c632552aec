package io.wspush.config;

import io.wspush.testing.LogCapture;
import io.wspush.testing.TestServer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A bad setting, given the context-parameter way to the real WAR in the in-process Jetty, stops the deployment and
 * leaves exactly one SEVERE line naming the setting, with no secret in anything wspush logged. Child-JVM containers:
 * io.wspush.containers.ConfigErrorContainersIT.
 */
class ConfigErrorIT {

    static final String SHORT_SECRET = "short-secret-value-4711";

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "token.secret | " + SHORT_SECRET + " | wspush.token.secret must be at least 32 bytes (RFC 7518 section 3.2)",
            "push.key     | short-key-0815     | wspush.push.key must be at least 16 characters",
            "ping.interval| soon               | wspush.ping.interval must be a number of seconds, got 'soon'",
            // checked when the node starts, not in Config.from
            "broker       | kafka              | wspush.broker must be 'memory', 'redis' or 'redis-cluster', got 'kafka'",
            "redis.uri    | nosuch://:pw-0815@host:6379 | wspush.redis.uri is not a valid Redis URI (expected e.g. redis://127.0.0.1:6379 or redis://:password@host:6379)",
    })
    void aBadSettingStopsTheDeploymentWithOneLineNamingIt(String setting, String value, String expected) {
        LogCapture log = LogCapture.of("io.wspush");
        List<LogRecord> records = log.records();
        try {
            TestServer.Builder b = TestServer.builder().set(setting, value);
            if (setting.startsWith("redis.")) b.set("broker", "redis");
            IllegalStateException failed = assertThrows(IllegalStateException.class, b::start, "the WAR must not start");
            assertEquals("WAR did not start", failed.getMessage());
        } finally {
            log.close();
        }
        List<String> severe = records.stream().filter(r -> r.getLevel() == Level.SEVERE).map(LogRecord::getMessage).toList();
        assertEquals(List.of("wspush: configuration error: " + expected), severe);
        for (LogRecord r : records) {
            String all = r.getMessage() + (r.getThrown() == null ? "" : " " + r.getThrown());
            for (String secret : new String[] {SHORT_SECRET, "short-key-0815", "pw-0815", TestServer.SECRET,
                    TestServer.PUSH_KEY}) {
                assertFalse(all.contains(secret), "log holds a secret value " + secret + ": " + all);
            }
        }
    }
}
