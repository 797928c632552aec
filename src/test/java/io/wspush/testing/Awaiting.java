package io.wspush.testing;

import io.wspush.testing.Http;
import io.wspush.testing.Poll;
import io.wspush.testing.TestServer;
import io.wspush.testing.WsClient;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Waits for server-side state, observed from outside through the operator endpoints. */
public final class Awaiting {

    private Awaiting() {
    }

    public static int userConnections(TestServer server, String user) {
        var r = Http.get(server.http("admin/users/" + URLEncoder.encode(user, StandardCharsets.UTF_8)), server.adminKey());
        if (r.statusCode() != 200) throw new AssertionError("admin/users answered " + r.statusCode() + " " + r.body());
        return Http.intField(r, "connections");
    }

    /** Registers the wserver way and waits until the server holds the connection (no ack on this protocol). */
    public static WsClient registered(TestServer server, String user, String token, String event) {
        int before = userConnections(server, user);
        WsClient c = WsClient.register(server.ws(), token, event);
        Poll.until(user + " registered", Duration.ofSeconds(10), () -> {
            if (c.isClosed()) throw new AssertionError("closed while registering: " + c.awaitClose());
            return userConnections(server, user) > before;
        });
        return c;
    }

    public static void userConnections(TestServer server, String user, int expected) {
        Poll.untilEquals(user + "'s connections", Duration.ofSeconds(10), expected, () -> userConnections(server, user));
    }

    public static void connections(TestServer server, int expected) {
        Poll.untilEquals("open connections", Duration.ofSeconds(10), expected,
                () -> Http.intField(Http.get(server.http("health"), null), "connections"));
    }
}
