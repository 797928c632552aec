package io.wspush.bench;

import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketServletContainerInitializer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

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

        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
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
                + ProcessHandle.current().pid() + ", stopping by itself in " + maxSeconds + " s");
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
