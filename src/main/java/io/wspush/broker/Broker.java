package io.wspush.broker;

import io.wspush.connection.Sequencer;
import io.wspush.protocol.Delivery;
import io.wspush.protocol.RegistrationFrame.Since;

/**
 * Carries pushes and operator disconnects to every node that holds the user. One implementation per file:
 * {@link MemoryBroker} (single node, default) and {@link RedisBroker} (several nodes sharing Redis pub/sub).
 */
public interface Broker extends AutoCloseable {

    /**
     * How a push reached this node, which decides who gets it (history on; see {@link Sequencer}): plain
     * connections get each push once, on the route they always had; resuming connections get every route.
     */
    enum Route {
        /** This node's push, delivered in offset order by the pushing thread (memory broker): complete. */
        LOCAL_ORDERED(true, true),
        /** This node's push, delivered at once by the pushing thread (Redis): may overtake an earlier push. */
        LOCAL_FAST(true, false),
        /** This node's push coming back through its Redis subscription: complete, but plain connections had it. */
        ECHO(false, true),
        /** Another node's push through the subscription: complete. */
        REMOTE(true, true),
        /**
         * This node's push whose history script did not answer in time: it may still run and come back through the
         * subscription, so only plain connections get it now.
         */
        UNCERTAIN(true, false, false);

        /** Whether plain connections (and v1 ones without history) get the push on this route. */
        public final boolean plain;
        /** Whether the route carries every push of the user, in offset order. */
        public final boolean complete;
        /** Whether resuming connections (those with a {@link Sequencer}) get the push on this route. */
        public final boolean sequenced;

        Route(boolean plain, boolean complete) {
            this(plain, complete, true);
        }

        Route(boolean plain, boolean complete, boolean sequenced) {
            this.plain = plain;
            this.complete = complete;
            this.sequenced = sequenced;
        }
    }

    /**
     * The answer to a push: {@code delivered}, and its history offset (0 without history); {@code nodes}: how many
     * other nodes it reached, -1 when unknown (Redis did not answer in time), 0 without other nodes.
     */
    record Published(int delivered, long offset, String epoch, int nodes) {
        public Published(int delivered, long offset, String epoch) {
            this(delivered, offset, epoch, 0);
        }
    }

    /** What a broker hands back to the node: delivery to this node's own connections. */
    interface LocalNode {
        /** @return connections on this node the message was handed to */
        default int deliverLocally(Delivery d) {
            return deliverLocally(d, Route.LOCAL_ORDERED);
        }

        /** @return connections on this node the message was handed to */
        int deliverLocally(Delivery d, Route route);

        /**
         * A broadcast ({@code d.userId} null, no history): every registered connection on this node whose event
         * matches. @return connections it was handed to
         */
        int broadcastLocally(Delivery d);

        /** @return connections on this node that were closed */
        int disconnectLocally(String userId, long revokedAtEpochMillis);

        /** A revocation read back from storage (most already known): applied like a disconnect, but not logged. */
        default int applyStoredRevocation(String userId, long revokedAtEpochMillis) {
            return disconnectLocally(userId, revokedAtEpochMillis);
        }

        /** Whether this node holds at least one registered connection of the user right now (the current truth). */
        boolean holdsLocally(String userId);

        /**
         * The broker may have missed pushes (its link to the other nodes was down): every resuming connection is
         * closed with {@code 4004 resume required}, so its client resumes from history and learns whether it missed
         * anything. @return connections closed
         */
        default int resumeRequired() {
            return 0;
        }

        /** A receipt report another node sent to this one ({@link #sendToNode}); see docs/SCALE-OUT.md "Receipts". */
        default void fromNode(String report) {
        }
    }

    /**
     * Sends a short report to one other node ({@code node}: its name as the broker put it in a push's origin), over
     * that node's own channel; best effort, never blocks. Single-node brokers have no other node.
     */
    default void sendToNode(String node, String report) {
    }

    void start(LocalNode local);

    /** @return the number reported as {@code delivered} (see README: single node = local connections) */
    int publish(Delivery d);

    /**
     * Publishes with history: the push gets the user's next offset. A push with an {@code id} already seen for the
     * user within the history's TTL is not delivered again: the answer is 0 delivered and the first offset.
     */
    default Published publish(Delivery d, String id) {
        return new Published(publish(d), 0, null);
    }

    /**
     * Several pushes (a multicast, or a run of an array's single pushes), in order, as {@link #publish(Delivery,
     * String)} each with {@code ids.get(i)} ({@code ids} null: no ids); one answer per delivery. Brokers that can
     * overlap the round trips override this.
     */
    default Published[] publishMany(java.util.List<Delivery> ds, java.util.List<String> ids) {
        Published[] out = new Published[ds.size()];
        for (int i = 0; i < out.length; i++) out[i] = publish(ds.get(i), ids == null ? null : ids.get(i));
        return out;
    }

    /**
     * Delivers {@code d} ({@code userId} null) to every registered connection whose event matches, on every node;
     * not kept in history. @return this node's connections reached plus the other nodes reached
     */
    int broadcast(Delivery d);

    /**
     * Syncs a resuming connection (registered, its {@link Sequencer} buffering) with the user's history: decides
     * whether {@code since} can be recovered, then {@link Sequencer#synced} sends {@code registered} and what the
     * client missed. May complete on another thread.
     */
    default void sync(String userId, Sequencer s, Since since) {
        s.unsynced(since != null);
    }

    /** Disconnects the user on every node; @return connections closed (local, plus remote nodes reached) */
    int disconnect(String userId, long revokedAtEpochMillis);

    /** This node now holds a connection of the user (first one). */
    default void userArrived(String userId) {
    }

    /** This node no longer holds any connection of the user. */
    default void userLeft(String userId) {
    }

    /** Null when healthy, otherwise why not (for /health and logs). */
    String problem();

    @Override
    void close();
}
