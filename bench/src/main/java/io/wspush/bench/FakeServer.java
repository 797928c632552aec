package io.wspush.bench;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpointConfig;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketServletContainerInitializer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A deliberately small stand-in for wspush that speaks just enough of docs/PROTOCOL.md ({@code /ws} registration
 * with an HS256 token, {@code wspush.v1} envelopes, {@code POST /push}, {@code GET /health}) to check the load
 * tool itself and to measure the tool's own ceiling. Not a reference implementation: no events, limits, heartbeats.
 *
 * <pre>java -cp bench/target/wspush-bench.jar:$(cat target/containers/jetty.classpath) \
 *     io.wspush.bench.FakeServer PORT SECRET PUSH_KEY [MAX_SECONDS]</pre>
 * Runs on the Jetty jars that serve the WAR (the root project's target/containers/jetty.classpath), so the floor is
 * the same container. Binds 127.0.0.1 only and stops by itself after MAX_SECONDS (default 600).
 */
public final class FakeServer {

    private static final Map<String, Set<Session>> USERS = new ConcurrentHashMap<>();
    private static byte[] secret;
    private static String pushKey;

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        secret = args[1].getBytes(StandardCharsets.UTF_8);
        pushKey = args[2];
        long maxSeconds = args.length > 3 ? Long.parseLong(args[3]) : 600;

        Server server = new Server(new QueuedThreadPool(64, 4));
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        connector.setAcceptQueueSize(4096);
        server.addConnector(connector);
        ServletContextHandler ctx = new ServletContextHandler("/");
        ctx.addServlet(new ServletHolder(new PushServlet()), "/push");
        ctx.addServlet(new ServletHolder(new HttpServlet() {
            @Override
            protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
                res.setContentType("application/json");
                res.getWriter().write("{\"status\":\"ready\"}");
            }
        }), "/health");
        JakartaWebSocketServletContainerInitializer.configure(ctx, (sc, container) -> container.addEndpoint(
                ServerEndpointConfig.Builder.create(WsEndpoint.class, "/ws").subprotocols(List.of("wspush.v1")).build()));
        server.setHandler(ctx);
        server.setStopTimeout(2000);
        server.start();
        System.out.println("FakeServer on 127.0.0.1:" + port + " pid " + ProcessHandle.current().pid());
        Thread.sleep(maxSeconds * 1000);
        System.out.println("FakeServer: time is up, stopping");
        server.stop();
        System.exit(0);
    }

    public static final class WsEndpoint extends Endpoint {
        private volatile String user;

        @Override
        public void onOpen(Session session, EndpointConfig config) {
            session.addMessageHandler(String.class, (MessageHandler.Whole<String>) text -> {
                if (user != null) return;
                String sub = verify(LoadTool.jsonField(text, "token"));
                try {
                    if (sub == null) {
                        session.close(new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, "invalid token"));
                        return;
                    }
                    user = sub;
                    USERS.computeIfAbsent(sub, k -> ConcurrentHashMap.newKeySet()).add(session);
                    if ("wspush.v1".equals(session.getNegotiatedSubprotocol())) {
                        session.getAsyncRemote().sendText("{\"type\":\"registered\",\"userId\":" + LoadTool.jsonString(sub)
                                + ",\"event\":null,\"heartbeat\":25}");
                    }
                } catch (IOException e) {
                    // closed already
                }
            });
        }

        @Override
        public void onClose(Session session, CloseReason closeReason) {
            if (user != null) {
                Set<Session> s = USERS.get(user);
                if (s != null) s.remove(session);
            }
        }
    }

    static final class PushServlet extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void doPost(HttpServletRequest req, HttpServletResponse res) throws IOException {
            res.setContentType("application/json");
            if (!("Bearer " + pushKey).equals(req.getHeader("Authorization"))) {
                res.setStatus(401);
                res.getWriter().write("{\"error\":\"unauthorized\",\"message\":\"wrong key\"}");
                return;
            }
            String body = new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String userId = LoadTool.jsonField(body, "userId");
            String message = LoadTool.jsonField(body, "message");
            if (userId == null || message == null) {
                res.setStatus(400);
                res.getWriter().write("{\"error\":\"bad_request\",\"message\":\"userId and message required\"}");
                return;
            }
            String envelope = "{\"type\":\"message\",\"event\":null,\"message\":" + LoadTool.jsonString(message)
                    + ",\"ts\":" + System.currentTimeMillis() + "}";
            int delivered = 0;
            for (Session s : USERS.getOrDefault(userId, Set.of())) {
                if (!s.isOpen()) continue;
                s.getAsyncRemote().sendText("wspush.v1".equals(s.getNegotiatedSubprotocol()) ? envelope : message);
                delivered++;
            }
            res.getWriter().write("{\"delivered\":" + delivered + "}");
        }
    }

    /** The token's sub when its HS256 signature is right, else null. */
    static String verify(String token) {
        if (token == null) return null;
        String[] parts = token.split("\\.");
        if (parts.length != 3) return null;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            byte[] sig = mac.doFinal((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            if (!MessageDigest.isEqual(sig, Base64.getUrlDecoder().decode(parts[2]))) return null;
            return LoadTool.jsonField(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8), "sub");
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return null;
        }
    }
}
