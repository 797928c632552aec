package io.wspush.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects what one java.util.logging logger (and those below it) logs while open, and puts the logger back as it
 * was on close: {@code try (LogCapture log = LogCapture.of("io.wspush")) { ... log.records() ... }}.
 */
public final class LogCapture extends Handler implements AutoCloseable {

    private final Logger logger;
    private final Level levelBefore;
    private final boolean parentHandlersBefore;
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();

    private LogCapture(Logger logger) {
        this.logger = logger;
        this.levelBefore = logger.getLevel();
        this.parentHandlersBefore = logger.getUseParentHandlers();
        logger.addHandler(this);
    }

    public static LogCapture of(String loggerName) {
        return new LogCapture(Logger.getLogger(loggerName));
    }

    /** Records from this level up even if the logger was set higher. */
    public LogCapture level(Level level) {
        logger.setLevel(level);
        return this;
    }

    /** Keeps the records out of the build output (expected errors that would look alarming there). */
    public LogCapture quiet() {
        logger.setUseParentHandlers(false);
        return this;
    }

    public List<LogRecord> records() {
        return records;
    }

    /** The messages of the records at {@code minimum} or above, in order. */
    public List<String> messages(Level minimum) {
        return records.stream().filter(r -> r.getLevel().intValue() >= minimum.intValue())
                .map(LogRecord::getMessage).toList();
    }

    public void clear() {
        records.clear();
    }

    @Override
    public void publish(LogRecord r) {
        records.add(r);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
        logger.setLevel(levelBefore);
        logger.setUseParentHandlers(parentHandlersBefore);
    }
}
