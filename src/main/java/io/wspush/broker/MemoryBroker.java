package io.wspush.broker;

import io.wspush.protocol.Delivery;

/** Single node: a push reaches this node's connections and nothing else. */
public final class MemoryBroker implements Broker {

    private LocalNode local;

    @Override
    public void start(LocalNode local) {
        this.local = local;
    }

    @Override
    public int publish(Delivery d) {
        return local.deliverLocally(d);
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
