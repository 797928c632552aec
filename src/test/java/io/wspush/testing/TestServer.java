package io.wspush.testing;

import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketServletContainerInitializer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The real WAR ({@code target/wspush.war}, built by {@code mvn package}) in an embedded Jetty 12 on a free
 * loopback port. Settings are passed as context init parameters, the route an operator's web.xml or context
 * descriptor takes, so several servers with different settings can run in one JVM.
 */
public final class TestServer implements AutoCloseable {

    public static final String SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
    public static final String PUSH_KEY = "test-push-key-0123456789";

    private final Server server;
    private final URI base;
    private final String contextPath;

    private final Map<String, String> settings;

    private TestServer(Server server, URI base, String contextPath, Map<String, String> settings) {
        this.settings = Map.copyOf(settings);
        this.server = server;
        this.base = base;
        this.contextPath = contextPath;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static TestServer start() {
        return builder().start();
    }

    public static final class Builder {
        private final Map<String, String> settings = new LinkedHashMap<>();
        private String contextPath = "/";

        private Builder() {
            settings.put("token.secret", SECRET);
            settings.put("push.key", PUSH_KEY);
        }

        /** A wspush setting without its {@code wspush.} prefix; null removes it. */
        public Builder set(String name, Object value) {
            if (value == null) settings.remove(name);
            else settings.put(name, String.valueOf(value));
            return this;
        }

        /** Demo mode, as an operator asks for it: {@code wspush.demo=true} and no secret or keys. */
        public Builder demo() {
            settings.remove("token.secret");
            settings.remove("push.key");
            settings.put("demo", "true");
            return this;
        }

        public Builder contextPath(String path) {
            this.contextPath = path;
            return this;
        }

        public TestServer start() {
            Path war = Path.of(System.getProperty("wspush.test.war", "target/wspush.war"));
            if (!Files.isRegularFile(war)) {
                throw new IllegalStateException(war + " is missing: run the tests through 'mvn verify'");
            }
            Server server = new Server();
            ServerConnector connector = new ServerConnector(server);
            connector.setHost("127.0.0.1");
            connector.setPort(0);
            // As docs/TUNING.md advises (tests open a thousand connections at once; the JDK default of 50 drops them).
            connector.setAcceptQueueSize(4096);
            server.addConnector(connector);
            WebAppContext ctx = new WebAppContext();
            ctx.setWar(war.toAbsolutePath().toString());
            ctx.setContextPath(contextPath);
            ctx.setThrowUnavailableOnStartupException(true);
            settings.forEach((k, v) -> ctx.setInitParameter("wspush." + k, v));
            JakartaWebSocketServletContainerInitializer.configure(ctx, null);
            server.setHandler(ctx);
            server.setStopTimeout(5000);
            try {
                server.start();
            } catch (Exception e) {
                try {
                    server.stop();
                } catch (Exception ignored) {
                }
                throw new IllegalStateException("WAR did not start", e);
            }
            String cp = contextPath.equals("/") ? "" : contextPath;
            URI base = URI.create("http://127.0.0.1:" + connector.getLocalPort() + cp + "/");
            return new TestServer(server, base, contextPath, settings);
        }
    }

    /** {@code http://127.0.0.1:port/ctx/} */
    public URI base() {
        return base;
    }

    public URI http(String path) {
        return base.resolve(path);
    }

    public URI ws() {
        return URI.create("ws" + base.toString().substring(4) + "ws");
    }

    /** The key the operator endpoints take on this server (admin key, else push key, else the demo key). */
    public String adminKey() {
        return settings.getOrDefault("admin.key", pushKey());
    }

    public String pushKey() {
        return settings.getOrDefault("push.key", "demo");
    }

    public String contextPath() {
        return contextPath;
    }

    /** An attribute of the web application's servlet context (what the container and wspush put there). */
    public Object contextAttribute(String name) {
        return ((WebAppContext) server.getHandler()).getServletContext().getAttribute(name);
    }

    /**
     * Stops the web application while the server keeps serving (a hot undeploy): the node stops as on undeploy, and
     * responses it gives meanwhile still reach their clients. {@link #close} afterwards.
     */
    public void undeploy() {
        try {
            server.getHandler().stop();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
