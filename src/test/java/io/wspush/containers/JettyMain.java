package io.wspush.containers;

import java.nio.file.Path;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Entry point of the Jetty child JVM: {@code JettyMain <war> <port> [<workDir>]}. Serves the WAR at "/" on
 * 127.0.0.1:port (settings as -Dwspush.* of this JVM); exits with 3 if the port is taken, 1 if the webapp fails to
 * start. The work directory receives the unpacked WAR (default: Jetty's own temp directory). The class path must
 * hold Jetty and the container APIs only, never the WAR's CDI or Jersey (see JettyContainer).
 */
public final class JettyMain {

    private JettyMain() {
    }

    public static void main(String[] args) throws Exception {
        Path war = Path.of(args[0]);
        int port = Integer.parseInt(args[1]);
        Path work = args.length > 2 ? Path.of(args[2]) : null;

        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
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
                + connector.getLocalPort() + "/");
        server.join();
    }
}
