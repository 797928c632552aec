package io.wspush.node;

import io.wspush.config.Config;
import io.wspush.config.Settings;
import io.wspush.connection.ConnectionWriter;
import io.wspush.registry.SessionRegistry;
import io.wspush.testing.FakeSession;
import io.wspush.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The container's idle timeout comes with the session (NodeLifecycle sets the container's default); opening a
 * connection sets it again only on a session that lacks it: on Tyrus a second setting races the session's first
 * idle check (NodeLifecycle#containerIdleTimeout).
 */
class ContainerIdleTimeoutTest {

    Node node;
    Config config;
    SocketEvents sockets;

    @BeforeEach
    void start() {
        Map<String, String> settings = Map.of("wspush.token.secret", TestServer.SECRET,
                "wspush.push.key", TestServer.PUSH_KEY, "wspush.idle.timeout", "40", "wspush.ping.interval", "15");
        config = Config.from(Settings.load(settings::get));
        node = new Node();
        node.start(config);
        sockets = new SocketEvents(node, config, new SessionRegistry(), node.tokens(), node.metrics(), Runnable::run,
                new ConnectionWriter.Limits(100, 1 << 20));
    }

    @AfterEach
    void stop() {
        node.stop();
    }

    @Test
    void theBackstopIsIdlePlusPingPlusTenSeconds() {
        assertEquals(65_000, config.containerIdleTimeout().toMillis());
    }

    @Test
    void aSessionBornWithTheBackstopIsLeftAlone() {
        FakeSession s = new FakeSession(null);
        s.maxIdleTimeout = 65_000;
        sockets.open(s.session);
        assertEquals(0, s.idleTimeoutSets.get());
    }

    @Test
    void aSessionWithoutItGetsIt() {
        FakeSession s = new FakeSession(null); // a container that did not take the default: 0, no timeout
        sockets.open(s.session);
        assertEquals(1, s.idleTimeoutSets.get());
        assertEquals(65_000, s.maxIdleTimeout);
    }
}
