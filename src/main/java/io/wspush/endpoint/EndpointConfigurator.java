package io.wspush.endpoint;

import io.wspush.node.SocketEvents;
import jakarta.enterprise.inject.spi.CDI;
import jakarta.websocket.Extension;
import jakarta.websocket.server.ServerEndpointConfig;

import java.util.List;

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

    /**
     * Compression is refused unless {@code wspush.ws.permessage-deflate=true}: browsers always offer it, and for
     * short pushed messages it costs CPU (and per-connection deflater memory) for little gain.
     */
    @Override
    public List<Extension> getNegotiatedExtensions(List<Extension> installed, List<Extension> requested) {
        List<Extension> negotiated = super.getNegotiatedExtensions(installed, requested);
        if (sockets().deflateAllowed()) return negotiated;
        // Only compression is refused (permessage-deflate and the old x-webkit-deflate-frame); nothing else is offered today.
        return negotiated.stream().filter(e -> !e.getName().toLowerCase(java.util.Locale.ROOT).contains("deflate")).toList();
    }
}
