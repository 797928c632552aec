package io.wspush.broker;

import java.util.List;

/** Presence on one node ({@code wspush.broker=memory}): this node's registry is the whole truth. */
final class MemoryPresence implements Presence {

    private final Local local;

    MemoryPresence(Local local) {
        this.local = local;
    }

    @Override
    public int[] connections(List<String> userIds) {
        int[] out = new int[userIds.size()];
        for (int i = 0; i < out.length; i++) out[i] = local.connections(userIds.get(i));
        return out;
    }

    @Override
    public void changed(String userId) {
        // nothing to share
    }

    @Override
    public void close() {
    }
}
