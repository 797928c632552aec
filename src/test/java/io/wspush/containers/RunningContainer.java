package io.wspush.containers;

import java.net.URI;
import java.nio.file.Path;

/**
 * A web container running the WAR in a child JVM on 127.0.0.1, started by {@link JettyContainer},
 * {@link TomcatContainer}, {@link PayaraContainer} or {@link ContainerKind}. {@link #close()} stops the process;
 * use try-with-resources or close it in {@code @AfterAll}.
 */
public interface RunningContainer extends AutoCloseable {

    /** Unique within this JVM: also names the log file {@code target/containers/<name>.log}. */
    String name();

    ContainerKind kind();

    /** {@code http://127.0.0.1:<port>/}, the WAR's context root. */
    URI baseUri();

    default int port() {
        return baseUri().getPort();
    }

    /** {@code uri("/api/x")} or {@code uri("api/x")}: a URI below the context root. */
    default URI uri(String path) {
        return baseUri().resolve(path.startsWith("/") ? path.substring(1) : path);
    }

    /** {@code wsUri("/ws")}: the same as {@link #uri(String)} with the {@code ws} scheme. */
    default URI wsUri(String path) {
        return URI.create("ws" + uri(path).toString().substring("http".length()));
    }

    long pid();

    boolean isAlive();

    Path logFile();

    /** Milliseconds from starting the process to the first good answer of the ready check. */
    long startupMillis();

    /** The last lines of the log, colour codes removed: put it in assertion messages. */
    String logTail(int lines);

    /** Stops the process (SIGTERM, then SIGKILL after the stop timeout) and waits for it to exit. Idempotent. */
    @Override
    void close();
}
