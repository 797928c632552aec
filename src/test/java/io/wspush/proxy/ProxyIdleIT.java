package io.wspush.proxy;

import io.wspush.testing.Awaiting;
import io.wspush.testing.Http;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.WsClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Through a real nginx, whose proxy_read_timeout cuts upstream connections that stay silent: the server's pings
 * keep a healthy idle connection open. The control case (pings rarer than the proxy timeout) shows the test
 * can fail. Timeouts are scaled down from production (25 s pings under nginx's 60 s default).
 */
class ProxyIdleIT {

    @BeforeAll
    static void nginxIsThere() {
        if (!NginxProxy.available()) {
            String msg = "nginx is missing (/usr/sbin/nginx): ./test.sh installs it";
            if (System.getenv("CI") != null) throw new AssertionError(msg);
            org.junit.jupiter.api.Assumptions.abort("SKIPPED LOUDLY: " + msg);
        }
    }

    @Test
    void pingsKeepAnIdleConnectionOpenThroughTheProxy() throws Exception {
        try (TestServer server = TestServer.builder().set("ping.interval", "0.5").set("idle.timeout", "5").start();
             NginxProxy nginx = NginxProxy.start(server.base(), Duration.ofSeconds(2))) {
            WsClient c = WsClient.connect(nginx.ws());
            c.send(WsClient.registration(Tokens.valid("behind-proxy"), null));
            Awaiting.userConnections(server, "behind-proxy", 1);
            assertNull(c.next(Duration.ofSeconds(5)), "idle for 2.5 proxy timeouts");
            assertTrue(!c.isClosed(), "connection still open");
            assertEquals(1, Http.intField(Http.push(server, "behind-proxy", null, "through nginx"), "delivered"));
            assertEquals("through nginx", c.next());
            c.close();
        }
    }

    @Test
    void withoutPingsTheProxyCutsTheIdleConnection() throws Exception {
        try (TestServer server = TestServer.builder().set("ping.interval", "30").start();
             NginxProxy nginx = NginxProxy.start(server.base(), Duration.ofSeconds(1))) {
            WsClient c = WsClient.connect(nginx.ws());
            c.send(WsClient.registration(Tokens.valid("cut"), null));
            Awaiting.userConnections(server, "cut", 1);
            c.awaitClose(Duration.ofSeconds(10));
            Awaiting.userConnections(server, "cut", 0);
        }
    }
}
