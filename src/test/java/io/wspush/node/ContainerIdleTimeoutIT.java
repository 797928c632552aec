package io.wspush.node;

import io.wspush.testing.TestServer;
import jakarta.websocket.server.ServerContainer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The deployed WAR gives the container's WebSocket sessions wspush's idle backstop as their default. */
class ContainerIdleTimeoutIT {

    @Test
    void theContainerDefaultIsTheBackstop() {
        try (TestServer s = TestServer.builder().set("idle.timeout", 40).set("ping.interval", 15).start()) {
            ServerContainer c = (ServerContainer) s.contextAttribute(ServerContainer.class.getName());
            assertEquals(65_000, c.getDefaultMaxSessionIdleTimeout());
        }
    }
}
