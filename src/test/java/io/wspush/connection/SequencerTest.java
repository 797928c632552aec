package io.wspush.connection;

import io.wspush.protocol.Delivery;
import io.wspush.protocol.Disconnect;
import io.wspush.testing.FakeSession;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A resuming connection's rules: registered first, replay, buffered in order, each offset once, gaps. */
class SequencerTest {

    static final String E = "epoch-1";

    final FakeSession fs = new FakeSession("wspush.v1");
    final FakeSession.Owner owner = new FakeSession.Owner();
    final Connection c = new Connection(fs.session, owner, new ConnectionWriter.Limits(1000, 1L << 30));

    Sequencer sequencer(String event, int maxBuffered) {
        c.registered("u", event);
        return new Sequencer(c, maxBuffered, (recovered, missed) -> "registered " + recovered + " " + missed);
    }

    static Delivery d(long offset, String epoch, String event) {
        return new Delivery("u", event, "m" + offset, 1L, offset, epoch);
    }

    /** What the client got: "registered ..." frames, and the offsets of messages. */
    List<String> got() {
        return fs.sent.stream().map(f -> f.startsWith("registered") ? f
                : f.contains("\"offset\"") ? f.replaceAll(".*\"offset\":(\\d+).*", "$1")
                : f.replaceAll(".*\"message\":\"([^\"]*)\".*", "$1")).toList();
    }

    @Test
    void registeredComesFirstThenReplayThenBufferedInOffsetOrderWithoutDuplicates() {
        Sequencer s = sequencer(null, 100);
        // Pushes racing the sync: from the fast route out of order, and from the complete route.
        assertTrue(s.offer(d(7, E, null), false));
        assertTrue(s.offer(d(6, E, null), true));
        assertTrue(s.offer(d(5, E, null), true)); // also in the replay below
        assertTrue(s.offer(d(7, E, null), true));
        assertEquals(List.of(), fs.sent, "nothing before the sync is done");
        s.synced(true, E, 5, List.of(d(4, E, null), d(5, E, null)));
        assertEquals(List.of("registered true 2", "4", "5", "6", "7"), got());
        s.offer(d(7, E, null), false); // the other route's copy
        s.offer(d(8, E, null), false);
        s.offer(d(8, E, null), true);
        assertEquals(List.of("registered true 2", "4", "5", "6", "7", "8"), got());
        assertTrue(owner.closing.isEmpty());
    }

    @Test
    void anOffsetAheadIsDroppedOnTheFastRouteAndClosesTheConnectionOnTheCompleteRoute() {
        Sequencer s = sequencer(null, 100);
        s.synced(null, E, 10, List.of());
        s.offer(d(12, E, null), false); // the subscription brings 11 and then 12
        assertEquals(List.of("registered null 0"), got());
        s.offer(d(11, E, null), true);
        s.offer(d(12, E, null), true);
        assertEquals(List.of("registered null 0", "11", "12"), got());
        assertFalse(s.offer(d(14, E, null), true), "13 was missed on a complete route");
        assertEquals(List.of(Disconnect.RESUME_REQUIRED), owner.closing);
    }

    @Test
    void theFilterSkipsOtherEventsButThePositionFollowsThem() {
        Sequencer s = sequencer("news", 100);
        s.synced(true, E, 3, List.of(d(2, E, "sports"), d(3, E, "news")));
        assertFalse(s.offer(d(4, E, "sports"), true), "not this connection's event");
        assertTrue(s.offer(d(5, E, null), true));
        assertEquals(List.of("registered true 1", "3", "5"), got());
        assertTrue(owner.closing.isEmpty(), "4 was seen, so 5 is no gap");
    }

    @Test
    void aNewEpochStartsAtOneAndWithoutHistoryEverythingPasses() {
        Sequencer s = sequencer(null, 100);
        s.synced(null, null, 0, List.of()); // the user has no history yet
        s.offer(d(1, E, null), true);
        s.offer(d(2, E, null), true);
        s.offer(d(1, "epoch-2", null), false); // history lost and started again
        s.offer(new Delivery("u", null, "no history", 1L), false); // Redis unreachable: offset 0
        assertEquals(List.of("registered null 0", "1", "2", "1", "no history"), got());
        s.offer(d(3, "epoch-3", null), false); // another epoch, not from its start, fast route: wait for the subscription
        assertTrue(owner.closing.isEmpty());
        s.offer(d(3, "epoch-3", null), true);
        assertEquals(List.of(Disconnect.RESUME_REQUIRED), owner.closing, "its start was missed");
    }

    @Test
    void unsyncedTakesItsPositionFromTheCompleteRoute() {
        Sequencer s = sequencer(null, 100);
        s.unsynced(true);
        s.offer(d(9, E, null), false);
        s.offer(d(8, E, null), true);
        s.offer(d(9, E, null), true);
        s.offer(d(9, E, null), false);
        assertEquals(List.of("registered false 0", "8", "9"), got());
    }

    @Test
    void tooMuchBufferedWhileSyncingClosesAsSlowConsumer() {
        Sequencer s = sequencer(null, 2);
        s.offer(d(1, E, null), true);
        s.offer(d(2, E, null), true);
        assertFalse(s.offer(d(3, E, null), true));
        assertEquals(List.of(Disconnect.SLOW_CONSUMER), owner.closing);
    }
}
