package io.wspush.config;

import io.wspush.testing.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConfigurationErrorTest {

    private LogCapture log;
    private List<LogRecord> records;

    @BeforeEach
    void capture() {
        log = LogCapture.of("io.wspush").quiet(); // the expected SEVERE lines stay out of the build output
        records = log.records();
    }

    @AfterEach
    void release() {
        log.close();
    }

    @Test
    void aBadSettingIsOneSevereLineNamingItAndNoSecret() {
        String secret = "too-short-secret-4711";
        IllegalStateException bad = assertThrows(IllegalStateException.class, () -> Config.from(Settings.load(
                Map.of("wspush.token.secret", secret, "wspush.push.key", "push-key-0123456789")::get)));

        IllegalStateException thrown = ConfigurationError.reported(bad);

        assertEquals(1, records.size(), records.toString());
        assertEquals(Level.SEVERE, records.get(0).getLevel());
        assertEquals("wspush: configuration error: wspush.token.secret must be at least 32 bytes (RFC 7518 section 3.2)",
                records.get(0).getMessage());
        assertNull(records.get(0).getThrown(), "one line, no stack trace in our own record");
        assertFalse(records.get(0).getMessage().contains(secret));
        // The container's own report of the failed start is one line as well.
        assertInstanceOf(ConfigurationError.class, thrown);
        assertEquals(bad.getMessage(), thrown.getMessage());
        assertEquals(0, thrown.getStackTrace().length);
        assertNull(thrown.getCause());
    }

    @Test
    void otherFailuresPassThroughUnloggedAndUnchanged() {
        IllegalStateException other = new IllegalStateException("Unable to access CDI");
        assertSame(other, ConfigurationError.reported(other));
        IllegalStateException noMessage = new IllegalStateException();
        assertSame(noMessage, ConfigurationError.reported(noMessage));
        assertEquals(List.of(), records);
    }

    @Test
    void reportingTwiceLogsOnce() {
        IllegalStateException once = ConfigurationError.reported(new IllegalStateException("wspush.broker must be 'memory' or 'redis', got 'x'"));
        assertSame(once, ConfigurationError.reported(once));
        assertEquals(1, records.size());
    }
}
