package io.wspush.containers;

import io.wspush.node.PingFloodIT;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The ping flooder on each real container: how a container's blocking sendPing and automatic pongs behave is the
 * container's own (Jetty 12 blocks until the idle timeout, Tomcat until its blocking send timeout). On Payara
 * (Tyrus) wspush's ping returned without waiting for the full socket, so nothing stalled there even before, and the
 * flooder stays connected as long as it keeps sending frames: only the other connections' timeouts are asserted.
 */
class ContainerPingFloodIT {

    @ParameterizedTest
    @EnumSource(ContainerKind.class)
    void aPingFlooderDelaysNobodysTimeouts(ContainerKind kind) throws Exception {
        ContainerOptions o = kind.options().setting("token.secret", ContainersIT.SECRET).setting("push.key", ContainersIT.KEY)
                .readyPath("/health");
        PingFloodIT.SETTINGS.forEach(o::setting);
        try (RunningContainer c = kind.start(o)) {
            PingFloodIT.run(kind + " (log: " + c.logFile() + ")", c.wsUri("/ws"), ContainersIT.SECRET,
                    user -> ContainersIT.userConnections(c, user), kind != ContainerKind.PAYARA);
        }
    }
}
