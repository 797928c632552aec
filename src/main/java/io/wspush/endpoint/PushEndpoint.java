package io.wspush.endpoint;

import io.wspush.connection.Connection;
import io.wspush.node.SocketEvents;
import io.wspush.protocol.Envelopes;
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
 * only translates container callbacks; the node's {@link SocketEvents} decides what they mean.
 */
@ServerEndpoint(value = "/ws", subprotocols = {Envelopes.SUBPROTOCOL}, configurator = EndpointConfigurator.class)
public class PushEndpoint {

    private final SocketEvents sockets;
    private Connection connection;

    /** For containers that insist on a no-argument constructor; the configurator passes the socket side instead. */
    public PushEndpoint() {
        this(EndpointConfigurator.lookup());
    }

    public PushEndpoint(SocketEvents sockets) {
        this.sockets = sockets;
    }

    @OnOpen
    public void open(Session session, EndpointConfig config) {
        connection = sockets.open(session);
    }

    @OnMessage
    public void text(String text) {
        if (connection != null) sockets.text(connection, text);
    }

    @OnMessage
    public void binary(ByteBuffer data) {
        if (connection != null) sockets.binary(connection);
    }

    @OnMessage
    public void pong(PongMessage pong) {
        if (connection != null) connection.heard();
    }

    @OnClose
    public void close(Session session, CloseReason reason) {
        if (connection != null) sockets.closed(connection, reason);
    }

    @OnError
    public void error(Session session, Throwable error) {
        if (connection != null) sockets.failed(connection, error);
    }
}
