package io.wspush.testing;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (Debian's package) as a child process on a free loopback port, without persistence.
 * {@link #stop()} and {@link #restart()} keep the port, so clients see an outage and a recovery of "the same"
 * Redis. The process is killed by {@link #close()} and, should the test JVM end first, by a shutdown hook.
 * {@link #command} speaks plain RESP over a socket, so tests can ask Redis (e.g. PUBSUB NUMSUB) without a client
 * library.
 */
public final class RedisProcess implements AutoCloseable {

    private static final Duration START_DEADLINE = Duration.ofSeconds(10);

    private final int port;
    private final Path log;
    private final Thread hook;
    private volatile Process process;

    private RedisProcess(int port) {
        this.port = port;
        this.log = Path.of("target", "redis-" + port + ".log");
        this.hook = new Thread(this::kill, "redis-" + port + "-killer");
    }

    /** Starts redis-server on a free port and waits until it answers PING. */
    public static RedisProcess start() {
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 3; attempt++) { // the free port may be taken before redis binds it
            RedisProcess r = new RedisProcess(freePort());
            try {
                Runtime.getRuntime().addShutdownHook(r.hook);
                r.launch();
                return r;
            } catch (IllegalStateException e) {
                r.close();
                last = e;
            }
        }
        throw last;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String binary() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir, "redis-server");
            if (Files.isExecutable(p)) return p.toString();
        }
        if (Files.isExecutable(Path.of("/usr/bin/redis-server"))) return "/usr/bin/redis-server";
        throw new IllegalStateException("redis-server is not installed: 'apt-get install redis-server' (or ./test.sh)");
    }

    private synchronized void launch() {
        if (process != null && process.isAlive()) throw new IllegalStateException("redis on " + port + " already runs");
        ProcessBuilder b = new ProcessBuilder(binary(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        try {
            Files.createDirectories(log.getParent());
            process = b.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start redis-server", e);
        }
        long end = System.nanoTime() + START_DEADLINE.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server on port " + port + " exited with " + process.exitValue()
                        + "; see " + log.toAbsolutePath());
            }
            try {
                if ("PONG".equals(command("PING"))) return;
            } catch (IllegalStateException notYet) {
                // not listening yet
            }
            if (System.nanoTime() > end) {
                kill();
                throw new IllegalStateException("redis-server on port " + port + " did not answer PING within "
                        + START_DEADLINE + "; see " + log.toAbsolutePath());
            }
            try {
                Thread.sleep(20); // polling for readiness, with the deadline above
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    public int port() {
        return port;
    }

    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    public boolean isRunning() {
        Process p = process;
        return p != null && p.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** Terminates the server (SIGTERM to its pid, then SIGKILL) and waits until it is gone. */
    public synchronized void stop() {
        Process p = process;
        if (p == null || !p.isAlive()) return;
        try {
            signal("-CONT"); // a paused redis would not act on SIGTERM
        } catch (IllegalStateException ignored) {
            // gone meanwhile
        }
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }

    /** Freezes the server (SIGSTOP to its pid): connections stay open, nothing is answered. */
    public void pause() {
        signal("-STOP");
    }

    /** Thaws a {@link #pause paused} server (SIGCONT). */
    public void resume() {
        signal("-CONT");
    }

    private void signal(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", signal, Long.toString(pid())).inheritIO().start();
            if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                kill.destroyForcibly();
                throw new IllegalStateException("kill " + signal + " " + pid() + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts the server again on the same port (empty: no persistence) and waits for PING. */
    public synchronized void restart() {
        stop();
        launch();
    }

    private void kill() {
        Process p = process;
        if (p != null && p.isAlive()) p.destroyForcibly();
    }

    @Override
    public synchronized void close() {
        stop();
        process = null;
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException | IllegalArgumentException shuttingDownOrNeverAdded) {
            // fine
        }
    }

    /** Sends one command ({@link Resp}); returns a String, Long, null or List of those. Throws IllegalStateException on failure. */
    public Object command(String... args) {
        return Resp.command(port, args);
    }

    /** How many subscribers (wspush nodes) the channel has. */
    public long subscribers(String channel) {
        List<?> reply = (List<?>) command("PUBSUB", "NUMSUB", channel);
        return (Long) reply.get(1);
    }
}
