package io.wspush.connection;

import io.wspush.protocol.Delivery;
import io.wspush.protocol.Disconnect;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A resuming ({@code wspush.v1}, history on) connection's place in its user's history: it makes delivery exactly
 * once and in offset order although pushes reach the connection on two routes (with Redis: this node's own pushes
 * directly from the pushing thread, and every push of the user through the node's subscription).
 *
 * <p>Two phases. While the node syncs the connection with the history (reads what it missed), every delivery is
 * buffered (bounded by the send queue's message limit). {@link #synced} then sends the {@code registered} frame
 * first, the replayed history, and the buffered deliveries in offset order. Afterwards the connection is live at a
 * position {@code pos} and accepts exactly offset {@code pos+1} of its epoch. A delivery on a <em>complete</em>
 * route (every push of the user, in offset order: the memory broker's locked delivery, the Redis subscription) that
 * skips an offset means this node missed pushes (e.g. the Redis link was lost for a moment): the connection is
 * closed with {@link Disconnect#RESUME_REQUIRED} so the client resumes from history. One that skips an offset on
 * the direct route is dropped: it comes again on the complete route, after the ones before it.
 *
 * <p>All of it runs under this object's lock, so the check and the offer to the writer are one step.
 */
public final class Sequencer {

    private record Buffered(Delivery d, boolean complete) {
    }

    /** Builds the {@code registered} frame: {@code recovered} null without since; {@code missed} pushes replayed. */
    public interface Registered {
        String frame(Boolean recovered, int missed);
    }

    private final Connection c;
    private final int maxBuffered;
    private final Registered registered;

    private List<Buffered> buffer = new ArrayList<>(); // null once synced
    private boolean positioned;
    private String epoch; // null: the user has no history yet
    private long pos;

    public Sequencer(Connection c, int maxBuffered, Registered registered) {
        this.c = c;
        this.maxBuffered = maxBuffered;
        this.registered = registered;
    }

    /**
     * One push of the connection's user (whatever its event: the position must follow every offset).
     *
     * @param complete whether the route carries every push of the user in offset order
     * @return whether the push counts as handed to this connection (it matches the event filter and was not refused)
     */
    public synchronized boolean offer(Delivery d, boolean complete) {
        if (buffer != null) {
            if (buffer.size() >= maxBuffered) {
                c.close(Disconnect.SLOW_CONSUMER);
                return false;
            }
            buffer.add(new Buffered(d, complete));
            return d.matches(c.event());
        }
        return live(d, complete);
    }

    /**
     * The sync is done: sends {@code registered} (with {@code recovered}, null when the client gave no since), then
     * {@code replay} (the pushes after the client's position, in order; the caller checked they are complete), then
     * what was buffered meanwhile. The connection is then live at {@code current} of {@code epoch} (null epoch: the
     * user has no history yet).
     */
    public synchronized void synced(Boolean recovered, String epoch, long current, List<Delivery> replay) {
        if (buffer == null) return;
        int missed = 0;
        for (Delivery d : replay) if (d.matches(c.event())) missed++;
        c.sendText(registered.frame(recovered, missed));
        this.positioned = true;
        this.epoch = epoch;
        for (Delivery d : replay) {
            pos = d.offset;
            if (d.matches(c.event())) c.send(d);
        }
        this.pos = current;
        flush();
    }

    /** The sync failed (history unreachable): live without a position; the first push on a complete route sets it. */
    public synchronized void unsynced(boolean sinceGiven) {
        if (buffer == null) return;
        c.sendText(registered.frame(sinceGiven ? Boolean.FALSE : null, 0));
        positioned = false;
        flush();
    }

    private void flush() {
        List<Buffered> pending = buffer;
        buffer = null;
        pending.sort(Comparator.comparingLong(b -> b.d().offset));
        for (Buffered b : pending) live(b.d(), b.complete());
    }

    private boolean live(Delivery d, boolean complete) {
        if (d.offset == 0) return send(d); // a push without history (e.g. Redis unreachable): at most once, as before
        if (!positioned || !d.epoch.equals(epoch)) {
            // A new epoch starts at offset 1; without a position, a complete route is trusted to set it.
            if (d.offset == 1 || (!positioned && complete)) {
                positioned = true;
                epoch = d.epoch;
                pos = d.offset;
                return send(d);
            }
            return outOfOrder(d, complete);
        }
        if (d.offset <= pos) return d.matches(c.event()); // already delivered (the other route was first)
        if (d.offset == pos + 1) {
            pos = d.offset;
            return send(d);
        }
        return outOfOrder(d, complete);
    }

    private boolean outOfOrder(Delivery d, boolean complete) {
        if (complete) {
            c.close(Disconnect.RESUME_REQUIRED);
            return false;
        }
        return d.matches(c.event()); // the complete route brings it, after the ones before it
    }

    private boolean send(Delivery d) {
        if (!d.matches(c.event())) return false;
        return c.send(d);
    }

    /** For tests and logs. */
    @Override
    public synchronized String toString() {
        return buffer != null ? "syncing(" + buffer.size() + " buffered)"
                : positioned ? "live at " + epoch + "/" + pos : "live, no position";
    }
}
