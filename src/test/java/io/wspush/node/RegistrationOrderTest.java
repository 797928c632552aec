package io.wspush.node;

import io.wspush.config.Config;
import io.wspush.config.Settings;
import io.wspush.connection.Connection;
import io.wspush.connection.ConnectionWriter;
import io.wspush.protocol.Delivery;
import io.wspush.registry.SessionRegistry;
import io.wspush.testing.FakeSession;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A push at the worst moment of a registration: the instant the connection becomes visible in the registry. */
class RegistrationOrderTest {

    @Test
    void aPushRacingTheRegistrationNeverOvertakesTheRegisteredEnvelope() {
        // History off: this is the hold-back path of v1 connections that do not resume. Resuming connections get
        // "registered" first from their Sequencer (SequencerTest), and pushes reach them only through it.
        Map<String, String> settings = Map.of("wspush.token.secret", TestServer.SECRET,
                "wspush.push.key", TestServer.PUSH_KEY, "wspush.history.size", "0");
        Node node = new Node();
        Config config = Config.from(Settings.load(settings::get));
        node.start(config);
        try {
            SessionRegistry racing = new SessionRegistry() {
                @Override
                public Added register(Connection c, int maxPerUser) {
                    Added added = super.register(c, maxPerUser);
                    // What a pushing thread can do right now: it sees the connection and queues a message.
                    for (Connection target : connections(c.userId())) {
                        target.send(new Delivery(c.userId(), null, "raced", System.currentTimeMillis()));
                    }
                    return added;
                }
            };
            SocketEvents sockets = new SocketEvents(node, config, racing, node.tokens(), node.metrics(), Runnable::run,
                    new ConnectionWriter.Limits(100, 1 << 20));
            FakeSession v1 = new FakeSession("wspush.v1");
            Connection c = sockets.open(v1.session);
            sockets.text(c, WsClient.registration(Tokens.valid("racer"), null));
            assertEquals(2, v1.sent.size(), v1.sent.toString());
            assertTrue(v1.sent.get(0).startsWith("{\"type\":\"registered\""), "first frame: " + v1.sent.get(0));
            assertTrue(v1.sent.get(1).contains("\"raced\""), v1.sent.get(1));
        } finally {
            node.stop();
        }
    }
}
