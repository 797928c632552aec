package io.wspush.connection;

import io.wspush.protocol.Delivery;
import io.wspush.protocol.Disconnect;
import io.wspush.protocol.Envelopes;
import io.wspush.testing.FakeSession;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The connection around its writer (the writer itself: ConnectionWriterTest): overflow closes it, frames per protocol, close once. */
class ConnectionTest {

    static Delivery d(String msg) {
        return new Delivery("u", null, msg, 1L);
    }

    @Test
    void aRevocationCoversTokensIssuedUpToItsSecondAndTokensWithoutIat() {
        Connection c = new Connection(new FakeSession(null).session, new FakeSession.Owner(),
                new ConnectionWriter.Limits(10, 1000));
        long revokedAt = 1_764_430_000_500L; // half a second into the second
        assertTrue(c.tokenIssuedUpTo(revokedAt), "no iat: older than any revocation");
        c.tokenIssuedAt(java.time.Instant.ofEpochSecond(1_764_429_999L));
        assertTrue(c.tokenIssuedUpTo(revokedAt));
        c.tokenIssuedAt(java.time.Instant.ofEpochSecond(1_764_430_000L));
        assertTrue(c.tokenIssuedUpTo(revokedAt), "the same second counts as older (JWT times are whole seconds)");
        c.tokenIssuedAt(java.time.Instant.ofEpochSecond(1_764_430_001L));
        assertFalse(c.tokenIssuedUpTo(revokedAt), "a token issued after the revocation is spared");
        c.tokenIssuedAt(null);
        assertTrue(c.tokenIssuedUpTo(revokedAt));
    }

    void overflowClosesWithSlowConsumerAndDropsTheQueue() {
        FakeSession fs = new FakeSession(null);
        FakeSession.Owner owner = new FakeSession.Owner();
        Connection c = new Connection(fs.session, owner, new ConnectionWriter.Limits(3, 1L << 40));
        fs.completeInline = false;
        assertTrue(c.send(d("in flight")));
        assertTrue(c.send(d("q1")));
        assertTrue(c.send(d("q2")));
        assertTrue(c.send(d("q3")));
        assertFalse(c.send(d("overflow")));
        assertTrue(c.isClosed());
        assertEquals(List.of(Disconnect.SLOW_CONSUMER), owner.closing);
        assertEquals(List.of(Disconnect.SLOW_CONSUMER), fs.closes);
        assertFalse(c.send(d("after close")));
        fs.completeOne();
        assertEquals(1, fs.sent.size(), "queued messages of a closed connection are dropped");
    }

    @Test
    void v1ClientsGetTheEnvelopeAndPlainClientsTheMessage() {
        FakeSession plain = new FakeSession(null);
        FakeSession v1 = new FakeSession(Envelopes.SUBPROTOCOL);
        Delivery delivery = new Delivery("u", "news", "he said \"hi\"", 42L);
        new Connection(plain.session, new FakeSession.Owner(), new ConnectionWriter.Limits(10, 1000)).send(delivery);
        new Connection(v1.session, new FakeSession.Owner(), new ConnectionWriter.Limits(10, 1000)).send(delivery);
        assertEquals("he said \"hi\"", plain.sent.get(0));
        assertEquals("{\"type\":\"message\",\"event\":\"news\",\"message\":\"he said \\\"hi\\\"\",\"ts\":42}", v1.sent.get(0));
    }

    @Test
    void closeIsIdempotentAndReportedOnce() {
        FakeSession fs = new FakeSession(null);
        FakeSession.Owner owner = new FakeSession.Owner();
        Connection c = new Connection(fs.session, owner, new ConnectionWriter.Limits(10, 1000));
        c.close(Disconnect.OPERATOR);
        c.close(Disconnect.SHUTDOWN);
        assertFalse(c.markClosed(Disconnect.NORMAL));
        assertEquals(List.of(Disconnect.OPERATOR), owner.closing);
        assertEquals(1, fs.closes.size());
    }
}
