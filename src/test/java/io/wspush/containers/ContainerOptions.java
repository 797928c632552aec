package io.wspush.containers;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What to start and how. Fluent and mutable: build one per start.
 *
 * <pre>{@code
 * try (RunningContainer c = JettyContainer.start(ContainerOptions.war(war).setting("token.secret", "s3cret"))) { ... }
 * }</pre>
 *
 * A {@linkplain #setting setting} {@code x.y} reaches the app as the container passes it: Jetty and Payara as
 * {@code -Dwspush.x.y=...}, Tomcat as the environment variable {@code WSPUSH_X_Y}. {@link #systemProperty} and
 * {@link #env} pass exactly what they are given to every container. Inherited {@code WSPUSH_*} variables of the
 * test JVM are never passed on, so a developer's shell cannot leak settings into a test.
 */
public final class ContainerOptions {

    final Path war;
    String name;
    final Map<String, String> settings = new LinkedHashMap<>();
    final Map<String, String> systemProperties = new LinkedHashMap<>();
    final Map<String, String> environment = new LinkedHashMap<>();
    final List<String> jvmArgs = new ArrayList<>();
    String maxHeap;
    boolean quickJit = true;
    Duration startTimeout;
    Duration stopTimeout = Duration.ofSeconds(20);
    String readyPath = "/health";
    final List<Pattern> failurePatterns = new ArrayList<>();
    boolean defaultFailurePatterns = true;
    final List<String> containerArgs = new ArrayList<>();
    final List<String> prebootCommands = new ArrayList<>();
    int portAttempts = 3;

    private ContainerOptions(Path war) {
        this.war = Objects.requireNonNull(war, "war").toAbsolutePath();
    }

    public static ContainerOptions war(Path war) {
        return new ContainerOptions(war);
    }

    public static ContainerOptions war(String war) {
        return new ContainerOptions(Path.of(war));
    }

    /** Names the log file and work directory under {@code target/containers/}; default: the container kind. */
    public ContainerOptions name(String name) {
        this.name = name;
        return this;
    }

    /** A wspush setting without the {@code wspush.} prefix, e.g. {@code setting("token.secret", "s")}. */
    public ContainerOptions setting(String name, String value) {
        settings.put(name.startsWith("wspush.") ? name.substring("wspush.".length()) : name, value);
        return this;
    }

    public ContainerOptions systemProperty(String key, String value) {
        systemProperties.put(key, value);
        return this;
    }

    public ContainerOptions env(String key, String value) {
        environment.put(key, value);
        return this;
    }

    /** Extra JVM options for the child, after the launcher's own (so they win, e.g. a second -Xmx). */
    public ContainerOptions jvmArg(String... args) {
        Collections.addAll(jvmArgs, args);
        return this;
    }

    /** -Xmx of the child, e.g. "512m". Defaults: Jetty and Tomcat 256m, Payara 512m. */
    public ContainerOptions maxHeap(String maxHeap) {
        this.maxHeap = maxHeap;
        return this;
    }

    /**
     * On by default: {@code -XX:TieredStopAtLevel=1} (C1 only) starts faster on 2 cores but runs hot code slower.
     * Turn it off for load tests and benchmarks.
     */
    public ContainerOptions quickJit(boolean quickJit) {
        this.quickJit = quickJit;
        return this;
    }

    /** Deadline for the ready check. Defaults: Jetty and Tomcat 90 s, Payara 180 s (all far above normal). */
    public ContainerOptions startTimeout(Duration startTimeout) {
        this.startTimeout = startTimeout;
        return this;
    }

    /** How long close() waits after SIGTERM before SIGKILL. Default 20 s. */
    public ContainerOptions stopTimeout(Duration stopTimeout) {
        this.stopTimeout = stopTimeout;
        return this;
    }

    /**
     * Ready when GET of this path (below the context root) answers 2xx or 3xx. Default "/health" (wspush answers
     * 503 there until its node is started). Payara answers 404 from its default module before the WAR is deployed
     * and 500 after a failed deploy, so the path must be one the app itself answers with 2xx.
     */
    public ContainerOptions readyPath(String readyPath) {
        this.readyPath = readyPath;
        return this;
    }

    /** A log line (colour codes removed) matching this during startup fails the start, with the log tail. */
    public ContainerOptions failOnLog(String regex) {
        failurePatterns.add(Pattern.compile(regex));
        return this;
    }

    /**
     * Whether the container's own failure patterns apply (Payara: {@code [SEVERE]}, a failed boot command, "Exception
     * while loading the app"). Default true; turn off if the app logs SEVERE on purpose, and use {@link #failOnLog}.
     */
    public ContainerOptions defaultFailurePatterns(boolean on) {
        this.defaultFailurePatterns = on;
        return this;
    }

    /**
     * Extra arguments for the container: Payara Micro options ("--maxhttpthreads", "50"); Tomcat connector
     * properties ("maxConnections=20000"); Jetty takes none.
     */
    public ContainerOptions containerArg(String... args) {
        Collections.addAll(containerArgs, args);
        return this;
    }

    /** Payara only: an extra asadmin command for the preboot command file. */
    public ContainerOptions prebootCommand(String command) {
        prebootCommands.add(command);
        return this;
    }

    /** How many free ports to try when the chosen one is taken before the child binds it. Default 3. */
    public ContainerOptions portAttempts(int portAttempts) {
        this.portAttempts = Math.max(1, portAttempts);
        return this;
    }

    public Path warFile() {
        return war;
    }
}
