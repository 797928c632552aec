package io.wspush.presence;

import io.wspush.containers.ContainerOptions;
import io.wspush.containers.JettyContainer;
import io.wspush.containers.RunningContainer;
import io.wspush.testing.Http;
import io.wspush.testing.Poll;
import io.wspush.testing.RedisProcess;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.V1;
import io.wspush.testing.WsClient;
import jakarta.json.JsonArray;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Presence across two nodes sharing a real redis-server: node A in this JVM, node B in a JVM of its own (the built
 * WAR in Jetty, {@link JettyContainer}), so that B can die by SIGKILL: no shutdown, no goodbye to Redis.
 */
class RedisPresenceIT {

    static final double TTL_SECONDS = 2;

    /** {@code connections} of GET /presence/{user} on a node (base URI), or -status when it is not 200. */
    static int count(URI base, String user) {
        HttpResponse<String> r = Http.get(base.resolve("presence/" + user), TestServer.PUSH_KEY);
        if (r.statusCode() != 200) return -r.statusCode();
        int n = Http.intField(r, "connections");
        assertEquals(n > 0, PresenceIT.json(r.body()).getBoolean("online"), r.body());
        return n;
    }

    static String token(String user) {
        return Tokens.token(TestServer.SECRET, user, Instant.now(), Instant.now().plusSeconds(600));
    }

    @Test
    void countsCrossNodesSurviveARedisRestartAndACrashedNodeStopsCountingWithinTheTtl() throws Exception {
        List<WsClient> clients = new ArrayList<>();
        try (RedisProcess redis = RedisProcess.start();
             TestServer a = TestServer.builder().set("broker", "redis").set("redis.uri", redis.uri())
                     .set("presence.ttl", TTL_SECONDS).start();
             RunningContainer b = JettyContainer.start(ContainerOptions.war(Path.of(System.getProperty("wspush.test.war",
                             "target/wspush.war"))).name("presence-node-b")
                     .setting("token.secret", TestServer.SECRET).setting("push.key", TestServer.PUSH_KEY)
                     .setting("broker", "redis").setting("redis.uri", redis.uri())
                     .setting("presence.ttl", String.valueOf(TTL_SECONDS)))) {
            URI onA = a.base(), onB = b.baseUri();
            String why = " (node B's log: " + b.logFile() + ")";

            // alice: one plain connection on A, a plain and a v1 one on B; bob: one on B.
            clients.add(WsClient.register(a.ws(), token("alice"), null));
            clients.add(WsClient.register(b.wsUri("/ws"), token("alice"), null));
            WsClient v1 = V1.connect(b.wsUri("/ws"), token("alice"), null, null, null);
            clients.add(v1);
            V1.registered(v1);
            clients.add(WsClient.register(b.wsUri("/ws"), token("bob"), null));
            for (URI node : List.of(onA, onB)) {
                Poll.untilEquals("alice on 2 nodes, asked at " + node, Duration.ofSeconds(10), 3, () -> count(node, "alice"));
                Poll.untilEquals("bob, asked at " + node, Duration.ofSeconds(10), 1, () -> count(node, "bob"));
            }

            // The batch over Redis, in request order.
            HttpResponse<String> r = Http.post(a.http("presence"), TestServer.PUSH_KEY,
                    PresenceIT.body(List.of("nobody", "bob", "alice")));
            assertEquals(200, r.statusCode(), r.body());
            JsonArray users = PresenceIT.json(r.body()).getJsonArray("users");
            assertEquals(List.of(0, 1, 3), users.stream().map(u -> u.asJsonObject().getInt("connections")).toList());
            // A thousand users: one round trip to Redis (one script), not a thousand.
            List<String> many = new ArrayList<>(List.of("alice", "bob"));
            for (int i = 0; i < 998; i++) many.add("nobody-" + i);
            long batchMs = Long.MAX_VALUE;
            for (int round = 0; round < 5; round++) { // the best of 5: the first pays for class loading and JIT
                long t0 = System.nanoTime();
                r = Http.post(a.http("presence"), TestServer.PUSH_KEY, PresenceIT.body(many));
                batchMs = Math.min(batchMs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            }
            assertEquals(200, r.statusCode(), r.body());
            users = PresenceIT.json(r.body()).getJsonArray("users");
            assertEquals(1000, users.size());
            assertEquals(3, users.getJsonObject(0).getInt("connections"));
            assertEquals(1, users.getJsonObject(1).getInt("connections"));
            assertEquals(0, users.stream().skip(2).mapToInt(u -> u.asJsonObject().getInt("connections")).sum());
            System.out.println("RedisPresenceIT: POST /presence with 1000 users over Redis answered in " + batchMs + " ms (best of 5)");
            String metrics = Http.get(a.http("metrics"), TestServer.PUSH_KEY).body();
            assertTrue(metrics.contains("wspush_presence_up 1"), metrics);
            assertTrue(metrics.contains("wspush_users 1"), metrics);
            assertTrue(metrics.contains("wspush_connections_registered 1"), metrics);

            // Redis gone: presence fails closed (503), never a wrong "offline".
            redis.stop();
            Poll.untilEquals("503 without Redis", Duration.ofSeconds(10), -503, () -> count(onA, "alice"));
            HttpResponse<String> down = Http.get(a.http("presence/alice"), TestServer.PUSH_KEY);
            assertEquals("unavailable", Http.stringField(down.body(), "error"), down.body());
            assertEquals(503, Http.post(a.http("presence"), TestServer.PUSH_KEY, PresenceIT.body(List.of("alice"))).statusCode());
            // Back, empty (no persistence): both nodes write their counts again. The v1 connection was asked to
            // resume (4004: the link was down) and this client does not come back, so alice has 2 now.
            redis.restart();
            assertEquals(4004, v1.awaitClose().code());
            Poll.untilEquals("alice healed after the Redis restart", Duration.ofSeconds(20), 2, () -> count(onA, "alice"));
            Poll.untilEquals("bob healed after the Redis restart", Duration.ofSeconds(10), 1, () -> count(onA, "bob"));

            // B crashes: SIGKILL (ProcessHandle.destroyForcibly is SIGKILL on Linux), so it tells Redis nothing.
            ProcessHandle bProcess = ProcessHandle.of(b.pid()).orElseThrow();
            long killedAt = System.nanoTime();
            assertTrue(bProcess.destroyForcibly());
            bProcess.onExit().get(10, TimeUnit.SECONDS);
            Poll.untilEquals("alice on A only after B's crash" + why, Duration.ofSeconds(10), 1, () -> count(onA, "alice"));
            Poll.untilEquals("bob offline after B's crash" + why, Duration.ofSeconds(10), 0, () -> count(onA, "bob"));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            System.out.println("RedisPresenceIT: node B's connections stopped counting " + ms + " ms after its SIGKILL");
            // The bound: presence.ttl after B's last heartbeat, plus the polls' own time on a busy machine (the user
            // hash's own expiry, 12 × ttl, or a connection timeout would take far longer).
            assertTrue(ms <= 2 * TTL_SECONDS * 1000, "B's connections counted " + ms + " ms after its crash");
            // Its dead fields were deleted on the way: the user's hash holds A's field only.
            assertEquals(1L, (long) (Long) redis.command("HLEN", "wspush:presence:{alice}"));
        } finally {
            clients.forEach(WsClient::abort);
        }
    }
}
