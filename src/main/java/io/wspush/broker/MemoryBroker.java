package io.wspush.broker;

import io.wspush.connection.Sequencer;
import io.wspush.protocol.Delivery;
import io.wspush.protocol.RegistrationFrame.Since;

/**
 * Single node: a push reaches this node's connections and nothing else. With history ({@link MemoryHistory}) each
 * push gets the user's next offset and is delivered under the user's lock, in offset order.
 */
public final class MemoryBroker implements Broker {

    private final MemoryHistory history; // null: history off
    private LocalNode local;

    public MemoryBroker() {
        this(null);
    }

    MemoryBroker(MemoryHistory history) {
        this.history = history;
    }

    @Override
    public void start(LocalNode local) {
        this.local = local;
    }

    @Override
    public int publish(Delivery d) {
        return local.deliverLocally(d);
    }

    @Override
    public Published publish(Delivery d, String id) {
        if (history == null) return new Published(publish(d), 0, null);
        return history.append(d, id, e -> local.deliverLocally(e, Route.LOCAL_ORDERED));
    }

    @Override
    public int broadcast(Delivery d) {
        return local.broadcastLocally(d);
    }

    @Override
    public void sync(String userId, Sequencer s, Since since) {
        if (history == null) {
            Broker.super.sync(userId, s, since);
            return;
        }
        history.sync(userId, s, since, System.currentTimeMillis());
    }

    @Override
    public int disconnect(String userId, long revokedAtEpochMillis) {
        return local.disconnectLocally(userId, revokedAtEpochMillis);
    }

    @Override
    public String problem() {
        return null;
    }

    @Override
    public void close() {
    }
}
