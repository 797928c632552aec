package io.wspush.config;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConfigurationErrorTest {

    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final Logger wspush = Logger.getLogger("io.wspush");

    private boolean parentHandlers;

    @BeforeEach
    void capture() {
        wspush.addHandler(capture);
        parentHandlers = wspush.getUseParentHandlers();
        wspush.setUseParentHandlers(false); // the expected SEVERE lines stay out of the build output
    }

    @AfterEach
    void release() {
        wspush.removeHandler(capture);
        wspush.setUseParentHandlers(parentHandlers);
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
