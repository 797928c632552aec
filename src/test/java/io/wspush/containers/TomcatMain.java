package io.wspush.containers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.LogManager;
import org.apache.catalina.Context;
import org.apache.catalina.Lifecycle;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.startup.Tomcat;
import org.apache.juli.ClassLoaderLogManager;

/**
 * Entry point of the Tomcat child JVM: {@code TomcatMain <war> <port> <workDir> [name=value...]}. Serves the WAR at
 * "/" on 127.0.0.1:port; exits with 3 if the port is taken, 1 if the webapp fails to start. Each name=value sets a
 * connector property (e.g. maxConnections=20000, acceptCount=1024, maxThreads=50).
 */
public final class TomcatMain {

    private TomcatMain() {
    }

    public static void main(String[] args) throws Exception {
        Path war = Path.of(args[0]);
        int port = Integer.parseInt(args[1]);
        Path work = Path.of(args[2]);

        Tomcat tomcat = new Tomcat();
        Path base = work.resolve("tomcat");
        Files.createDirectories(base.resolve("webapps"));
        tomcat.setBaseDir(base.toString());
        // bench.tomcatProtocol (bench/run.sh RUNNER=tomcat): e.g. org.apache.coyote.http11.Http11Nio2Protocol.
        Connector connector = new Connector(System.getProperty("bench.tomcatProtocol", "HTTP/1.1"));
        connector.setPort(port);
        connector.setProperty("address", "127.0.0.1");
        connector.setThrowOnFailure(true);
        for (int i = 3; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq <= 0 || !connector.setProperty(args[i].substring(0, eq), args[i].substring(eq + 1))) {
                System.err.println("[TomcatMain] not a connector property: " + args[i]);
                System.exit(2);
            }
        }
        tomcat.setConnector(connector);
        StandardHost host = (StandardHost) tomcat.getHost();
        host.setAppBase(base.resolve("webapps").toString());
        host.setFailCtxIfServletStartFails(true);
        // Tomcat's default web.xml also declares the JSP servlet, which fails without Jasper (and, with
        // failCtxIfServletStartFails, fails the app): add only the default servlet, MIME types, welcome files.
        tomcat.setAddDefaultWebXmlToWebapp(false);
        Context context = tomcat.addWebapp("", war.toAbsolutePath().toString());
        context.addLifecycleListener(event -> {
            if (Lifecycle.BEFORE_START_EVENT.equals(event.getType())) {
                Wrapper def = Tomcat.addServlet(context, "default", "org.apache.catalina.servlets.DefaultServlet");
                def.addInitParameter("listings", "false");
                def.setLoadOnStartup(1);
                context.addServletMappingDecoded("/", "default");
                Tomcat.addDefaultMimeTypeMappings(context);
                for (String welcome : new String[] {"index.html", "index.htm"}) {
                    context.addWelcomeFile(welcome);
                }
            }
        });

        // Tomcat's own logging manager, reset only after Tomcat has stopped (as catalina.sh arranges): with the
        // JDK's LogManager, whose shutdown hook races ours, everything Tomcat and the app log while stopping is lost.
        LogManager logManager = LogManager.getLogManager();
        if (logManager instanceof ClassLoaderLogManager juli) {
            juli.setUseShutdownHook(false);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                tomcat.stop();
                tomcat.destroy();
                System.err.println("[TomcatMain] stopped");
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                if (logManager instanceof ClassLoaderLogManager juli) {
                    juli.shutdown();
                }
            }
        }, "tomcat-shutdown"));

        try {
            tomcat.start();
        } catch (Throwable t) {
            ContainerProcess.exitAfterFailedStart("TomcatMain", t);
        }
        if (context.getState() != LifecycleState.STARTED) {
            System.err.println("[TomcatMain] webapp did not start: state " + context.getState());
            System.exit(1);
        }
        System.err.println("[TomcatMain] started " + war.getFileName() + " at http://127.0.0.1:"
                + connector.getLocalPort() + "/ (" + connector.getProtocolHandlerClassName() + ")");
        tomcat.getServer().await();
    }
}
