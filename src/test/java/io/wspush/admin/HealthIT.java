package io.wspush.admin;

import io.wspush.testing.Http;
import io.wspush.testing.Poll;
import io.wspush.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /health} of a degraded node (its Redis is unreachable): anyone learns the status, only holders of the admin
 * or metrics key learn why (the reason names the Redis host and carries the client's raw error).
 */
class HealthIT {

    static final String ADMIN_KEY = "health-admin-key-0123456789";
    static final String METRICS_KEY = "health-metrics-key-0123456789";
    static TestServer server;
    static int redisPort;

    @BeforeAll
    static void start() throws Exception {
        // A loopback port nobody listens on: the node starts degraded and stays so.
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            redisPort = s.getLocalPort();
        }
        server = TestServer.builder().set("broker", "redis").set("redis.uri", "redis://127.0.0.1:" + redisPort)
                .set("admin.key", ADMIN_KEY).set("metrics.key", METRICS_KEY).start();
        Poll.untilEquals("degraded", Duration.ofSeconds(20), "degraded",
                () -> Http.stringField(Http.get(server.http("health"), null).body(), "status"));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void withoutAKeyOnlyTheStatusAndCounts() {
        for (String key : new String[] {null, TestServer.PUSH_KEY, "wrong-key-0123456789abcdef"}) {
            var r = Http.get(server.http("health"), key);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("degraded", Http.stringField(r.body(), "status"));
            assertNull(Http.stringField(r.body(), "reason"), r.body());
            assertNull(Http.stringField(r.body(), "broker"), r.body());
            assertFalse(r.body().contains(String.valueOf(redisPort)), "no Redis address: " + r.body());
            assertFalse(r.body().contains("127.0.0.1"), "no Redis address: " + r.body());
            assertEquals(0, Http.intField(r, "connections"));
        }
    }

    @Test
    void theAdminOrMetricsKeySeesWhy() {
        for (String key : new String[] {ADMIN_KEY, METRICS_KEY}) {
            var r = Http.get(server.http("health"), key);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("degraded", Http.stringField(r.body(), "status"));
            String reason = Http.stringField(r.body(), "reason");
            assertTrue(reason != null && reason.contains("redis"), r.body());
            assertEquals("redis", Http.stringField(r.body(), "broker"), r.body());
        }
    }
}
