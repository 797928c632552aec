package io.wspush.bench;

import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketServletContainerInitializer;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The benchmark's server process: the built WAR in a lean embedded Jetty 12 (ee10), on 127.0.0.1 only, with wspush
 * settings passed as {@code -Dwspush.*} system properties. It stops by itself after MAX_SECONDS.
 *
 * <pre>java -cp &lt;jetty jars only&gt; io.wspush.bench.WarServer target/wspush.war PORT [MAX_SECONDS]</pre>
 *
 * The class path must hold Jetty and the servlet/websocket APIs but not the WAR's own libraries (CDI, Jersey...):
 * Jetty loads {@code jakarta.*} parent-first, so a second CDI API on the class path breaks the WAR's Weld.
 * bench/run.sh builds such a class path. Used when io.wspush.containers.JettyMain is not there.
 *
 * <p>Jetty's own knobs, for trying container settings (system properties; unset means Jetty's default):
 * {@code bench.threads} (thread pool maximum, 200), {@code bench.minThreads} (8), {@code bench.reservedThreads}
 * (-1: Jetty's heuristic), {@code bench.acceptors} and {@code bench.selectors} (-1: from the CPU count),
 * {@code bench.outputBufferSize} (32768 bytes, the HTTP response buffer). The values in force are printed at start.
 */
public final class WarServer {

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: WarServer WAR PORT [MAX_SECONDS]");
            System.exit(2);
        }
        Path war = Path.of(args[0]);
        if (!Files.isRegularFile(war)) throw new IllegalStateException(war + " is missing: mvn package first");
        int port = Integer.parseInt(args[1]);
        long maxSeconds = args.length > 2 ? Long.parseLong(args[2]) : 600;

        QueuedThreadPool pool = new QueuedThreadPool(Integer.getInteger("bench.threads", 200),
                Integer.getInteger("bench.minThreads", 8));
        pool.setReservedThreads(Integer.getInteger("bench.reservedThreads", -1));
        pool.setName("qtp");
        Server server = new Server(pool);
        HttpConfiguration http = new HttpConfiguration();
        http.setOutputBufferSize(Integer.getInteger("bench.outputBufferSize", http.getOutputBufferSize()));
        ServerConnector connector = new ServerConnector(server, Integer.getInteger("bench.acceptors", -1),
                Integer.getInteger("bench.selectors", -1), new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        connector.setAcceptQueueSize(4096);
        server.addConnector(connector);
        WebAppContext ctx = new WebAppContext();
        ctx.setWar(war.toAbsolutePath().toString());
        ctx.setContextPath("/");
        ctx.setThrowUnavailableOnStartupException(true);
        JakartaWebSocketServletContainerInitializer.configure(ctx, null);
        server.setHandler(ctx);
        server.setStopTimeout(5000);
        server.start();
        System.out.println("WarServer: " + war + " on http://127.0.0.1:" + connector.getLocalPort() + "/ pid "
                + ProcessHandle.current().pid() + ", stopping by itself in " + maxSeconds + " s; threads "
                + pool.getMinThreads() + ".." + pool.getMaxThreads() + " (reserved " + pool.getReservedThreads()
                + "), acceptors " + connector.getAcceptors() + ", selectors " + connector.getSelectorManager().getSelectorCount()
                + ", output buffer " + http.getOutputBufferSize() + ", " + Runtime.getRuntime().availableProcessors()
                + " CPU(s), JVM " + String.join(" ", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
                        .stream().filter(a -> !a.startsWith("-Dwspush.")).toList()));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.stop();
            } catch (Exception ignored) {
                // exiting anyway
            }
        }));
        Thread.sleep(maxSeconds * 1000);
        System.out.println("WarServer: time is up, stopping");
        System.exit(0);
    }
}
