package io.wspush.broker;

import io.wspush.protocol.Delivery;

/**
 * Carries pushes and operator disconnects to every node that holds the user. One implementation per file:
 * {@link MemoryBroker} (single node, default) and {@link RedisBroker} (several nodes sharing Redis pub/sub).
 */
public interface Broker extends AutoCloseable {

    /** What a broker hands back to the node: delivery to this node's own connections. */
    interface LocalNode {
        /** @return connections on this node the message was handed to */
        int deliverLocally(Delivery d);

        /** @return connections on this node that were closed */
        int disconnectLocally(String userId, long revokedAtEpochMillis);

        /** A revocation read back from storage (most already known): applied like a disconnect, but not logged. */
        default int applyStoredRevocation(String userId, long revokedAtEpochMillis) {
            return disconnectLocally(userId, revokedAtEpochMillis);
        }

        /** Whether this node holds at least one registered connection of the user right now (the current truth). */
        boolean holdsLocally(String userId);
    }

    void start(LocalNode local);

    /** @return the number reported as {@code delivered} (see README: single node = local connections) */
    int publish(Delivery d);

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
