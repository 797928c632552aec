package io.wspush.containers;

import io.wspush.testing.Handshake;
import io.wspush.testing.Http;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Demo mode on each real container: it never starts unasked, and once asked for ({@code wspush.demo=true}) its
 * loopback guard also stands in front of the container's own WebSocket upgrade (Jetty's WebSocketUpgradeFilter,
 * Tomcat's WsFilter, Tyrus' filter on Payara), so a handshake that came through a proxy gets 403, never 101.
 */
class DemoContainersIT {

    @ParameterizedTest
    @EnumSource(ContainerKind.class)
    void aWarWithNoSettingsRefusesToStart(ContainerKind kind) {
        // Before: it started in demo mode, with the push key "demo".
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> kind.start(kind.options()
                .name(kind.id() + "-unconfigured").failOnLog("wspush is not configured")
                .startTimeout(Duration.ofSeconds(kind.fullEeServer() ? 120 : 60))).close());
        assertTrue(e.getMessage().contains("wspush is not configured: set wspush.token.secret"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(ContainerKind.class)
    void demoModeRefusesProxiedRequestsAndHandshakes(ContainerKind kind) throws Exception {
        try (RunningContainer c = kind.start(kind.options().name(kind.id() + "-demo").setting("demo", "true"))) {
            String why = " (" + kind + " log: " + c.logFile() + ")";
            assertEquals(101, Handshake.status(c.wsUri("/ws"), Map.of()), "loopback handshake" + why);
            assertEquals(403, Handshake.status(c.wsUri("/ws"), Map.of("X-Forwarded-For", "203.0.113.9")), why);
            assertEquals(403, Handshake.status(c.wsUri("/ws"), Map.of("Forwarded", "for=203.0.113.9")), why);
            var push = Http.send(HttpRequest.newBuilder(c.uri("/push")).header("Authorization", "Bearer demo")
                    .header("X-Forwarded-For", "203.0.113.9")
                    .POST(HttpRequest.BodyPublishers.ofString(Http.pushBody("alice", null, "x"))).build());
            assertEquals(403, push.statusCode(), push.body() + why);
            assertEquals(200, Http.get(c.uri("/demo/token?userId=alice"), null).statusCode(), why);
        }
    }
}
