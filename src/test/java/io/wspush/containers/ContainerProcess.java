package io.wspush.containers;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.Proxy;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The child-process machinery shared by the three launchers: free port, command, log file, readiness, stop.
 *
 * <p>Start: pick a free loopback port (bind port 0, read it, release it), start the child with stdout and stderr
 * appended to {@code target/containers/<name>.log}, then poll until GET {@code readyPath} answers 2xx/3xx, the
 * child exits, a failure pattern shows in the log, or the deadline passes. If the port was taken in the meantime
 * (the log says "Address already in use"), the child is stopped and a new port tried.
 *
 * <p>Stop: SIGTERM via the process handle, SIGKILL after the stop timeout, then the child's own descendants. A
 * JVM shutdown hook does the same if a test forgets to close, and every child runs {@link ParentWatch}, which exits
 * the child when its stdin (a pipe from this JVM) closes, so even a SIGKILLed test JVM leaves no server behind.
 */
public final class ContainerProcess implements RunningContainer {

    /** The command line of one container kind for a port and a fresh work directory. */
    @FunctionalInterface
    interface Command {
        List<String> build(int port, Path workDir) throws IOException;
    }

    static final String CONTAINERS_DIR_PROPERTY = "wspush.test.containersDir";
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;?]*[ -/]*[@-~]");
    private static final Pattern BIND_CONFLICT = Pattern.compile("Address already in use|java\\.net\\.BindException");
    private static final Pattern ERROR_LINE = Pattern.compile("^(Caused by: )?[\\w.$]+(Exception|Error)(: |$)");
    private static final Set<String> NAMES_IN_USE = ConcurrentHashMap.newKeySet();
    private static final Duration POLL = Duration.ofMillis(100);

    private final String name;
    private final ContainerKind kind;
    private final Process process;
    private final URI baseUri;
    private final Path logFile;
    private final Path workDir;
    private final Duration stopTimeout;
    private final Thread shutdownHook;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final long startedNanos = System.nanoTime();
    private volatile long readyMillis = -1;

    private ContainerProcess(String name, ContainerKind kind, Process process, int port, Path logFile,
                             Path workDir, Duration stopTimeout) {
        this.name = name;
        this.kind = kind;
        this.process = process;
        this.baseUri = URI.create("http://127.0.0.1:" + port + "/");
        this.logFile = logFile;
        this.workDir = workDir;
        this.stopTimeout = stopTimeout;
        this.shutdownHook = new Thread(this::stopProcess, "stop-container-" + name);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    // ---------------------------------------------------------------------------------------------- start

    static RunningContainer start(ContainerKind kind, ContainerOptions o, Duration defaultTimeout,
                                  Map<String, String> extraEnv, List<Pattern> kindFailures, Command command) {
        if (!Files.isRegularFile(o.war)) {
            throw new IllegalArgumentException("WAR not found: " + o.war + " (run `mvn package` first)");
        }
        String name = claimName(o.name != null ? o.name : kind.id());
        boolean handedOver = false;
        try {
            Path dir = containersDir();
            Path work = dir.resolve(name);
            Path log = dir.resolve(name + ".log");
            deleteTree(work);
            Files.createDirectories(work.resolve("tmp"));
            Files.writeString(log, "");
            List<Pattern> failures = new ArrayList<>(o.defaultFailurePatterns ? kindFailures : List.of());
            failures.addAll(o.failurePatterns);
            Duration timeout = o.startTimeout != null ? o.startTimeout : defaultTimeout;
            long deadline = System.nanoTime() + timeout.toNanos();
            for (int attempt = 1; ; attempt++) {
                int port = freePort();
                List<String> cmd = command.build(port, work);
                Files.writeString(log, "### wspush test launcher: " + name + " attempt " + attempt + " on 127.0.0.1:"
                        + port + "\n### " + String.join(" ", cmd) + "\n", StandardOpenOption.APPEND);
                long logOffset = Files.size(log);
                ProcessBuilder pb = new ProcessBuilder(cmd)
                        .directory(work.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
                pb.environment().keySet().removeIf(k -> k.startsWith("WSPUSH_"));
                pb.environment().putAll(extraEnv);
                pb.environment().putAll(o.environment);
                ContainerProcess c = new ContainerProcess(name, kind, pb.start(), port, log, work, o.stopTimeout);
                String problem;
                try {
                    problem = c.awaitReady(deadline, o.readyPath, failures, logOffset);
                } catch (IOException | RuntimeException | Error e) {
                    c.removeHook();
                    c.stopProcess();
                    throw e;
                }
                if (problem == null) {
                    c.readyMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - c.startedNanos);
                    appendLog(log, "### ready after " + c.readyMillis + " ms: " + c.baseUri);
                    handedOver = true;
                    return c;
                }
                c.removeHook();
                c.stopProcess();
                boolean bindConflict = problem.startsWith(BIND_PROBLEM);
                if (bindConflict && attempt < o.portAttempts && System.nanoTime() < deadline) {
                    appendLog(log, "### port " + port + " was taken, retrying on another");
                    continue;
                }
                throw new IllegalStateException(kind.id() + " container '" + name + "' failed to start (deadline "
                        + timeout.toSeconds() + " s): " + problem + "\n--- last lines of " + log + " ---\n"
                        + tail(log, 60));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + kind.id() + " container '" + name + "'", e);
        } finally {
            if (!handedOver) {
                NAMES_IN_USE.remove(name);
            }
        }
    }

    private static final String BIND_PROBLEM = "port taken";

    /** @return null when ready, else why not */
    private String awaitReady(long deadline, String readyPath, List<Pattern> failures, long logOffset)
            throws IOException {
        URI ready = uri(readyPath);
        LogScanner scanner = new LogScanner(logFile, logOffset);
        int lastStatus = -1;
        while (true) {
            String bad = scanner.scan(failures);
            if (bad != null) {
                return bad;
            }
            if (!process.isAlive()) {
                try {
                    process.waitFor(2, TimeUnit.SECONDS); // let the last output reach the log
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                bad = scanner.scan(failures);
                if (bad == null) {
                    bad = scanner.failure();
                }
                return bad != null ? bad : "process exited with code " + process.exitValue()
                        + (scanner.firstError() == null ? "" : "; first error in the log: " + scanner.firstError());
            }
            lastStatus = httpStatus(ready);
            if (lastStatus >= 200 && lastStatus < 400) {
                // Payara logs a failed deploy and still answers: look at the log once more before trusting it.
                bad = scanner.scan(failures);
                return bad != null ? bad : scanner.failure();
            }
            if (System.nanoTime() - deadline > 0) {
                return "timed out; last status of GET " + ready + " was "
                        + (lastStatus < 0 ? "no connection" : String.valueOf(lastStatus));
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }
    }

    /**
     * Reads what the child appended since the last call, line by line. A failure line is held back for a moment
     * (and collects the next few lines, e.g. Payara's message after its "[SEVERE] ... [[" header) in case a bind
     * conflict follows, which means "retry on another port" rather than "failed".
     */
    private static final class LogScanner {
        private static final long HOLD_NANOS = TimeUnit.MILLISECONDS.toNanos(1500);
        private final Path file;
        private long offset;
        private final StringBuilder partial = new StringBuilder();
        private String firstError;
        private StringBuilder held;
        private int heldLines;
        private long heldSince;

        LogScanner(Path file, long offset) {
            this.file = file;
            this.offset = offset;
        }

        /** @return a bind conflict, or a failure held long enough, or null */
        String scan(List<Pattern> failures) throws IOException {
            byte[] chunk = null;
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
                long len = raf.length();
                if (len > offset) {
                    chunk = new byte[(int) Math.min(len - offset, 8 << 20)];
                    raf.seek(offset);
                    raf.readFully(chunk);
                    offset += chunk.length;
                }
            }
            if (chunk != null) {
                partial.append(new String(chunk, StandardCharsets.UTF_8));
                int nl;
                while ((nl = partial.indexOf("\n")) >= 0) {
                    String line = ANSI.matcher(partial.substring(0, nl)).replaceAll("").strip();
                    partial.delete(0, nl + 1);
                    if (BIND_CONFLICT.matcher(line).find()) {
                        return BIND_PROBLEM + ": " + line;
                    }
                    if (firstError == null && ERROR_LINE.matcher(line).find()) {
                        firstError = line;
                    }
                    if (held != null) {
                        if (heldLines < 4 && !line.isEmpty()) {
                            held.append("\n    ").append(line);
                            heldLines++;
                        }
                        continue;
                    }
                    for (Pattern p : failures) {
                        if (p.matcher(line).find()) {
                            held = new StringBuilder("log line matched /" + p + "/: " + line);
                            heldSince = System.nanoTime();
                            break;
                        }
                    }
                }
            }
            return held != null && System.nanoTime() - heldSince > HOLD_NANOS ? held.toString() : null;
        }

        /** The first line that looked like an exception, for a short reason when the child just exits. */
        String firstError() {
            return firstError;
        }

        /** The failure seen so far, held or not. */
        String failure() {
            return held == null ? null : held.toString();
        }
    }

    private static int httpStatus(URI uri) {
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) uri.toURL().openConnection(Proxy.NO_PROXY);
            c.setConnectTimeout(1000);
            c.setReadTimeout(3000);
            c.setInstanceFollowRedirects(false);
            c.setUseCaches(false);
            return c.getResponseCode();
        } catch (IOException e) {
            return -1;
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- stop

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            removeHook();
            stopProcess();
            NAMES_IN_USE.remove(name);
            boolean dead = !process.isAlive();
            appendLog(logFile, "### stopped, exit code " + (dead ? process.exitValue() : "? (still running)"));
            if (dead) {
                try {
                    deleteTree(workDir); // the unpacked WAR, Payara's 100 MB runtime; the log stays
                } catch (IOException ignored) {
                    // left for mvn clean
                }
            }
        }
    }

    private void removeHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs or has run
        }
    }

    private void stopProcess() {
        List<ProcessHandle> descendants = process.descendants().toList();
        if (process.isAlive()) {
            process.destroy(); // SIGTERM: the containers run their own shutdown hooks
            if (!waitFor(process.toHandle(), stopTimeout)) {
                process.destroyForcibly();
                waitFor(process.toHandle(), Duration.ofSeconds(10));
            }
        }
        for (ProcessHandle d : descendants) {
            if (d.isAlive()) {
                d.destroyForcibly();
            }
        }
        try {
            process.getOutputStream().close(); // the stdin pipe that ParentWatch waits on
        } catch (IOException ignored) {
            // already gone
        }
    }

    private static boolean waitFor(ProcessHandle handle, Duration timeout) {
        try {
            handle.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !handle.isAlive();
        } catch (java.util.concurrent.ExecutionException e) {
            return !handle.isAlive();
        }
    }

    // ---------------------------------------------------------------------------------------------- accessors

    @Override
    public String name() {
        return name;
    }

    @Override
    public ContainerKind kind() {
        return kind;
    }

    @Override
    public URI baseUri() {
        return baseUri;
    }

    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public Path logFile() {
        return logFile;
    }

    @Override
    public long startupMillis() {
        return readyMillis;
    }

    @Override
    public String logTail(int lines) {
        return tail(logFile, lines);
    }

    @Override
    public String toString() {
        return kind.id() + " '" + name + "' pid " + pid() + " at " + baseUri;
    }

    // ---------------------------------------------------------------------------------------------- helpers

    /** A port that was free on 127.0.0.1 a moment ago. The child may still lose it; start() retries then. */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static Path containersDir() throws IOException {
        String d = System.getProperty(CONTAINERS_DIR_PROPERTY);
        Path dir = (d == null || d.isBlank() ? Path.of("target", "containers") : Path.of(d)).toAbsolutePath();
        Files.createDirectories(dir);
        return dir;
    }

    /** {@code java} of the running JDK with the launcher's lean defaults, the parent watch agent and tmpdir. */
    static List<String> javaCommand(ContainerOptions o, String defaultHeap, Path work) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + (o.maxHeap != null ? o.maxHeap : defaultHeap));
        cmd.add("-XX:+UseSerialGC");
        if (o.quickJit) {
            cmd.add("-XX:TieredStopAtLevel=1");
        }
        cmd.add("-Djava.io.tmpdir=" + work.resolve("tmp"));
        cmd.add("-javaagent:" + ParentWatch.agentJar(containersDir()));
        cmd.addAll(o.jvmArgs);
        o.systemProperties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        return cmd;
    }

    /**
     * The child's classpath: the test classes (where {@code besideMain} and the *Main entry points are) plus the
     * container jars listed in the file that maven-dependency-plugin's build-classpath wrote ({@code property}
     * names it; default {@code target/containers/<defaultFile>}).
     */
    static String childClasspath(String property, String defaultFile, Class<?> besideMain) {
        try {
            String f = System.getProperty(property);
            Path file = f != null && !f.isBlank() ? Path.of(f) : containersDir().resolve(defaultFile);
            if (!Files.isRegularFile(file)) {
                throw new IllegalStateException("container classpath file " + file + " is missing: run "
                        + "`mvn generate-test-resources` (maven-dependency-plugin build-classpath) or set -D" + property);
            }
            String jars = Files.readString(file).strip();
            Path classes = Path.of(besideMain.getProtectionDomain().getCodeSource().getLocation().toURI());
            return classes + File.pathSeparator + jars;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Child side (JettyMain, TomcatMain, run in the container's JVM): reports a failed start and exits, with 3 when
     * the port was taken and 1 otherwise.
     */
    static void exitAfterFailedStart(String who, Throwable t) {
        t.printStackTrace();
        boolean bind = false;
        for (Throwable c = t; c != null; c = c.getCause()) {
            bind |= c instanceof java.net.BindException;
        }
        System.err.println("[" + who + "] start failed" + (bind ? " (port taken)" : ""));
        System.exit(bind ? 3 : 1);
    }

    /** The environment variable a setting reads, as io.wspush.config.Settings#envName spells it. */
    static String envName(String setting) {
        return "WSPUSH_" + setting.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private static String claimName(String base) {
        if (NAMES_IN_USE.add(base)) {
            return base;
        }
        for (int i = 2; i < 1000; i++) {
            if (NAMES_IN_USE.add(base + "-" + i)) {
                return base + "-" + i;
            }
        }
        throw new IllegalStateException("too many containers named " + base);
    }

    static String tail(Path file, int lines) {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long len = raf.length();
            int n = (int) Math.min(len, 256 * 1024);
            byte[] b = new byte[n];
            raf.seek(len - n);
            raf.readFully(b);
            String text = ANSI.matcher(new String(b, StandardCharsets.UTF_8)).replaceAll("");
            List<String> all = text.lines().toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    private static void appendLog(Path log, String line) {
        try {
            Files.writeString(log, line + "\n", StandardOpenOption.APPEND);
        } catch (IOException ignored) {
            // diagnostics only
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
