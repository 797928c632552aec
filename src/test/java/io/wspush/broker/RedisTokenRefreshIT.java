package io.wspush.broker;

import io.wspush.testing.Closing;
import io.wspush.testing.Http;
import io.wspush.testing.RedisProcess;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.V1;
import io.wspush.testing.WsClient;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Token refresh across two nodes over a real redis-server: an operator disconnect made on node B (it reaches node A
 * through Redis) compares with the token a connection on node A was refreshed with, and a refreshed connection
 * keeps receiving pushes made on the other node.
 */
class RedisTokenRefreshIT {

    static final Duration DEADLINE = Duration.ofSeconds(15);

    static RedisProcess redis;
    static TestServer a;
    static TestServer b;

    @BeforeAll
    static void start() {
        redis = RedisProcess.start();
        a = node();
        b = node();
    }

    @AfterAll
    static void stop() {
        Closing.closeAll(a, b, redis);
    }

    static TestServer node() {
        // The default clock skew (30 s) lets a token be issued 20 s ahead: "newer than the disconnect" without waiting.
        return TestServer.builder().set("broker", "redis").set("redis.uri", redis.uri()).set("redis.publish-budget", "0.5")
                .start();
    }

    static WsClient registered(TestServer s, String user, Instant iat) throws InterruptedException {
        WsClient c = V1.connect(s.ws(), Tokens.token(TestServer.SECRET, user, iat, Instant.now().plusSeconds(600)),
                null, null, null);
        V1.registered(c);
        return c;
    }

    static JsonObject refresh(WsClient c, String user, Instant iat) throws InterruptedException {
        c.send("{\"type\":\"refresh\",\"token\":\"" + Tokens.token(TestServer.SECRET, user, iat,
                Instant.now().plusSeconds(900)) + "\"}");
        while (true) {
            JsonObject o = V1.json(c.next(V1.WAIT));
            if (!"ping".equals(o.getString("type")) && !"pong".equals(o.getString("type"))) return o;
        }
    }

    @Test
    void aDisconnectOnAnotherNodeComparesWithTheRefreshedToken() throws Exception {
        Instant old = Instant.now().minusSeconds(60);
        try (WsClient renewed = registered(a, "rr-alice", old);
             WsClient stale = registered(a, "rr-alice", old)) {
            assertEquals("refreshed", refresh(renewed, "rr-alice", Instant.now().plusSeconds(20)).getString("type"));
            assertEquals("refreshed", refresh(stale, "rr-alice", old.plusSeconds(10)).getString("type"));

            // The operator disconnects rr-alice on node B: node A closes the connection whose (refreshed) token is
            // older than the disconnect, and spares the one refreshed with a newer token.
            var r = Http.post(b.http("admin/disconnect"), b.adminKey(), "{\"userId\":\"rr-alice\"}");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(new WsClient.Close(4002, "disconnected by operator"), stale.awaitClose(DEADLINE));
            assertFalse(renewed.isClosed());

            // A push made on node B still reaches the refreshed connection on node A.
            assertEquals(200, Http.push(b, "rr-alice", null, "from b").statusCode());
            assertEquals("from b", V1.next(renewed).message());
        }
    }
}
