package io.wspush.containers;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Entry point of the Jetty child JVM: {@code JettyMain <war> <port> [<workDir>]}. Serves the WAR at "/" on
 * 127.0.0.1:port (settings as -Dwspush.* of this JVM); exits with 3 if the port is taken, 1 if the webapp fails to
 * start. The work directory receives the unpacked WAR (default: Jetty's own temp directory). The class path must
 * hold Jetty and the container APIs only, never the WAR's CDI or Jersey (see JettyContainer).
 *
 * <p>Also the benchmark's server (bench/run.sh). Jetty's knobs, as system properties of this JVM; unset means
 * Jetty's default: {@code bench.threads} (thread pool maximum, 200), {@code bench.minThreads} (8),
 * {@code bench.reservedThreads} (-1: Jetty's heuristic), {@code bench.acceptors} and {@code bench.selectors} (-1:
 * from the CPU count), {@code bench.outputBufferSize} (32768 bytes, the HTTP response buffer). The values in force
 * are printed at start. {@code bench.maxSeconds} (unset: never) makes the JVM stop by itself after that many seconds.
 */
public final class JettyMain {

    private JettyMain() {
    }

    public static void main(String[] args) throws Exception {
        Path war = Path.of(args[0]);
        int port = Integer.parseInt(args[1]);
        Path work = args.length > 2 ? Path.of(args[2]) : null;

        long maxSeconds = Long.getLong("bench.maxSeconds", 0);

        QueuedThreadPool pool = new QueuedThreadPool(Integer.getInteger("bench.threads", 200),
                Integer.getInteger("bench.minThreads", 8));
        pool.setReservedThreads(Integer.getInteger("bench.reservedThreads", -1));
        Server server = new Server(pool);
        HttpConfiguration http = new HttpConfiguration();
        http.setOutputBufferSize(Integer.getInteger("bench.outputBufferSize", http.getOutputBufferSize()));
        ServerConnector connector = new ServerConnector(server, Integer.getInteger("bench.acceptors", -1),
                Integer.getInteger("bench.selectors", -1), new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        connector.setAcceptQueueSize(4096); // the JDK's default backlog of 50 refuses bursts of WebSocket connects
        server.addConnector(connector);

        WebAppContext webapp = new WebAppContext();
        webapp.setContextPath("/");
        webapp.setWar(war.toString());
        if (work != null) {
            webapp.setTempDirectory(work.resolve("webapp").toFile());
        }
        webapp.setThrowUnavailableOnStartupException(true);
        server.setHandler(webapp);
        server.setStopAtShutdown(true);
        server.setStopTimeout(5_000);

        try {
            server.start();
        } catch (Throwable t) {
            ContainerProcess.exitAfterFailedStart("JettyMain", t);
        }
        System.err.println("[JettyMain] started " + war.getFileName() + " at http://127.0.0.1:"
                + connector.getLocalPort() + "/ pid " + ProcessHandle.current().pid() + "; threads "
                + pool.getMinThreads() + ".." + pool.getMaxThreads() + " (reserved " + pool.getReservedThreads()
                + "), acceptors " + connector.getAcceptors() + ", selectors "
                + connector.getSelectorManager().getSelectorCount() + ", output buffer " + http.getOutputBufferSize()
                + ", " + Runtime.getRuntime().availableProcessors() + " CPU(s), JVM "
                + String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                        .filter(a -> !a.startsWith("-Dwspush.")).toList())
                + (maxSeconds > 0 ? "; stopping by itself in " + maxSeconds + " s" : ""));
        if (maxSeconds > 0) {
            Thread.sleep(maxSeconds * 1000);
            System.err.println("[JettyMain] time is up (bench.maxSeconds), stopping");
            System.exit(0);
        }
        server.join();
    }
}
