package io.wspush.endpoint;

import io.wspush.node.SocketEvents;
import jakarta.enterprise.inject.spi.CDI;
import jakarta.websocket.server.ServerEndpointConfig;

/**
 * Creates endpoint instances wired to the node's socket side. Asking CDI ourselves is what works on Jetty, Tomcat and
 * Payara alike: servlet containers with Weld leave {@code @Inject} fields of endpoints null.
 */
public class EndpointConfigurator extends ServerEndpointConfig.Configurator {

    private volatile SocketEvents sockets;

    /** The running node's socket side (a plain object, produced by the node: no proxy on the socket path). */
    static SocketEvents lookup() {
        return CDI.current().select(SocketEvents.class).get();
    }

    private SocketEvents sockets() {
        SocketEvents s = sockets;
        if (s == null) sockets = s = lookup();
        return s;
    }

    @Override
    public <T> T getEndpointInstance(Class<T> endpointClass) throws InstantiationException {
        if (endpointClass != PushEndpoint.class) {
            throw new InstantiationException("unexpected endpoint " + endpointClass);
        }
        return endpointClass.cast(new PushEndpoint(sockets()));
    }

    @Override
    public boolean checkOrigin(String originHeaderValue) {
        return sockets().originAllowed(originHeaderValue);
    }
}
