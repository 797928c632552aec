package io.wspush.endpoint;

import io.wspush.node.Node;
import jakarta.enterprise.inject.spi.CDI;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;

/**
 * Creates endpoint instances wired to the application's CDI beans. Asking CDI ourselves is what works on Jetty,
 * Tomcat and Payara alike: servlet containers with Weld leave {@code @Inject} fields of endpoints null.
 */
public class EndpointConfigurator extends ServerEndpointConfig.Configurator {

    private volatile Node node;

    private Node node() {
        Node n = node;
        if (n == null) {
            node = n = Node.real(CDI.current().select(Node.class).get());
        }
        return n;
    }

    @Override
    public <T> T getEndpointInstance(Class<T> endpointClass) throws InstantiationException {
        if (endpointClass != PushEndpoint.class) {
            throw new InstantiationException("unexpected endpoint " + endpointClass);
        }
        return endpointClass.cast(new PushEndpoint(node()));
    }

    @Override
    public boolean checkOrigin(String originHeaderValue) {
        return node().originAllowed(originHeaderValue);
    }

    @Override
    public void modifyHandshake(ServerEndpointConfig sec, HandshakeRequest request, HandshakeResponse response) {
        super.modifyHandshake(sec, request, response);
    }
}
