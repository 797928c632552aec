package io.wspush.endpoint;

import io.wspush.node.Node;
import io.wspush.session.Connection;
import io.wspush.session.Disconnect;
import jakarta.websocket.CloseReason;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;

import java.nio.ByteBuffer;

/**
 * {@code /ws}: browsers connect here, register with their first text frame, then receive pushes. The endpoint
 * only translates container callbacks; {@link Node} decides what they mean.
 */
@ServerEndpoint(value = "/ws", subprotocols = {Connection.SUBPROTOCOL_V1}, configurator = EndpointConfigurator.class)
public class PushEndpoint {

    private final Node node;
    private Connection connection;

    /** For containers that insist on a no-argument constructor; the configurator passes the node instead. */
    public PushEndpoint() {
        this(Node.real(jakarta.enterprise.inject.spi.CDI.current().select(Node.class).get()));
    }

    public PushEndpoint(Node node) {
        this.node = node;
    }

    @OnOpen
    public void open(Session session, EndpointConfig config) {
        connection = node.open(session);
    }

    @OnMessage
    public void text(String text) {
        if (connection != null) node.text(connection, text);
    }

    @OnMessage
    public void binary(ByteBuffer data) {
        if (connection != null) connection.close(Disconnect.BINARY);
    }

    @OnMessage
    public void pong(PongMessage pong) {
        if (connection != null) connection.heard();
    }

    @OnClose
    public void close(Session session, CloseReason reason) {
        if (connection != null) node.closed(connection, reason);
    }

    @OnError
    public void error(Session session, Throwable error) {
        if (connection != null) node.failed(connection, error);
    }
}
