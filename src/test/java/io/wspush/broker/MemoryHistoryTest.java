package io.wspush.broker;

import io.wspush.connection.Connection;
import io.wspush.connection.ConnectionWriter;
import io.wspush.connection.Sequencer;
import io.wspush.metrics.PushMetrics;
import io.wspush.protocol.Delivery;
import io.wspush.protocol.RegistrationFrame.Since;
import io.wspush.testing.FakeSession;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The memory broker's history with a hand-driven clock: TTL, size, the node-wide cap, push ids. */
class MemoryHistoryTest {

    final PushMetrics metrics = new PushMetrics();
    final List<Delivery> delivered = new ArrayList<>();

    Broker.Published push(MemoryHistory h, String user, long at, String id) {
        return h.append(new Delivery(user, null, "m@" + at, at), id, d -> {
            delivered.add(d);
            return 1;
        });
    }

    /** Resumes {@code since} at time {@code now}: the frames the client gets. */
    static List<String> resume(MemoryHistory h, String user, Since since, long now) {
        FakeSession fs = new FakeSession("wspush.v1");
        Connection c = new Connection(fs.session, new FakeSession.Owner(), new ConnectionWriter.Limits(1000, 1L << 30));
        c.registered(user, null);
        h.sync(user, new Sequencer(c, 1000, (recovered, missed) -> "registered " + recovered + " " + missed), since, now);
        return fs.sent.stream().map(f -> f.startsWith("registered") ? f : f.replaceAll(".*\"offset\":(\\d+).*", "$1")).toList();
    }

    @Test
    void offsetsGrowByOnePerUserAndSizeBoundsWhatIsKept() {
        MemoryHistory h = new MemoryHistory(3, 60_000, 1 << 20, metrics);
        for (int i = 1; i <= 5; i++) assertEquals(i, push(h, "a", 1000 + i, null).offset());
        assertEquals(1, push(h, "b", 1006, null).offset());
        String epoch = delivered.get(0).epoch;
        assertEquals(List.of("registered true 3", "3", "4", "5"), resume(h, "a", new Since(2, epoch), 2000));
        assertEquals(List.of("registered false 0"), resume(h, "a", new Since(1, epoch), 2000), "2 was trimmed");
        assertEquals(List.of("registered true 0"), resume(h, "a", new Since(5, epoch), 2000));
        assertEquals(List.of("registered null 0"), resume(h, "a", null, 2000));
        assertNotEquals(epoch, delivered.get(5).epoch, "each user's history has its own epoch");
    }

    @Test
    void pushesOlderThanTheTtlAreGoneAndTheNextPushStartsANewEpoch() {
        MemoryHistory h = new MemoryHistory(100, 1000, 1 << 20, metrics);
        push(h, "a", 10_000, null);
        push(h, "a", 10_500, null);
        String epoch = delivered.get(0).epoch;
        assertEquals(List.of("registered false 0"), resume(h, "a", new Since(0, epoch), 11_200), "offset 1 expired");
        assertEquals(List.of("registered true 1", "2"), resume(h, "a", new Since(1, epoch), 11_200));
        Broker.Published later = push(h, "a", 12_000, null); // both expired: the user's history ended
        assertEquals(1, later.offset());
        assertNotEquals(epoch, later.epoch());
        assertEquals(List.of("registered false 0"), resume(h, "a", new Since(2, epoch), 12_000));
    }

    @Test
    void theNodeWideCapEvictsTheOldestFirstAndCountsIt() {
        long entry = 2L * ("m@1000".length() + 1) + MemoryHistory.ENTRY_OVERHEAD;
        MemoryHistory h = new MemoryHistory(100, 60_000, 4 * entry, metrics);
        for (int i = 0; i < 3; i++) push(h, "a", 1000 + i, null);
        for (int i = 0; i < 3; i++) push(h, "b", 1100 + i, null);
        String a = delivered.get(0).epoch, b = delivered.get(3).epoch;
        // Six entries over a cap of four: a's first two went.
        assertEquals(List.of("registered false 0"), resume(h, "a", new Since(0, a), 2000));
        assertEquals(List.of("registered true 1", "3"), resume(h, "a", new Since(2, a), 2000));
        assertEquals(List.of("registered true 3", "1", "2", "3"), resume(h, "b", new Since(0, b), 2000));
        assertTrue(metrics.scrape().contains("wspush_history_evictions_total 2.0"), metrics.scrape());
        assertTrue(metrics.scrape().contains("wspush_history_messages 4.0"));
    }

    @Test
    void aRetriedIdAnswersTheFirstOffsetWithinTheTtlOnly() {
        MemoryHistory h = new MemoryHistory(10, 1000, 1 << 20, metrics);
        Broker.Published first = push(h, "a", 1000, "x");
        Broker.Published retry = push(h, "a", 1500, "x");
        assertEquals(new Broker.Published(0, 1, first.epoch()), retry);
        assertEquals(1, delivered.size(), "not delivered again");
        assertEquals(2, push(h, "a", 1600, "y").offset());
        assertEquals(3, push(h, "a", 2100, "x").offset(), "after the TTL the id is new again");
    }
}
