package io.wspush.broker;

import io.wspush.config.Config;
import io.wspush.metrics.PushMetrics;

import java.util.List;
import java.util.concurrent.ThreadFactory;

/**
 * Who is online: how many registered connections each user has on every node. One implementation per file:
 * {@link MemoryPresence} (one node: this node's registry) and {@link RedisPresence} (both Redis brokers: counts kept
 * in Redis per node, with a heartbeat and expiry, so a crashed node stops counting within {@code wspush.presence.ttl}).
 */
public interface Presence extends AutoCloseable {

    /** This node's registered connections, as the registry knows them now (the broker layer cannot see it). */
    interface Local {
        /** Registered connections of the user on this node. */
        int connections(String userId);

        /** Users with at least one registered connection on this node (a weakly consistent snapshot). */
        Iterable<String> users();
    }

    /** The counts cannot be given right now (Redis unreachable or too slow): answered as 503, never as "offline". */
    final class Unavailable extends Exception {
        public Unavailable(String message) {
            super(message, null, false, false);
        }
    }

    /** The presence for the node's broker: Redis-backed with either Redis broker, else this node only. */
    static Presence create(Config config, Broker broker, Local local, PushMetrics metrics, ThreadFactory threads) {
        if (broker instanceof RedisBroker redis) {
            return new RedisPresence(config, redis::commands, false, local, metrics, threads);
        }
        if (broker instanceof RedisClusterBroker cluster) {
            return new RedisPresence(config, cluster::commands, true, local, metrics, threads);
        }
        return new MemoryPresence(local);
    }

    /**
     * Registered connections per user on every node, in the order asked (distinct user ids).
     *
     * @throws Unavailable when the shared counts cannot be read within {@code wspush.redis.timeout}
     */
    int[] connections(List<String> userIds) throws Unavailable;

    /** A registered connection of the user was added or removed on this node. Cheap; never blocks. */
    void changed(String userId);

    /** Null when presence works, otherwise why not (for /health and logs). */
    default String problem() {
        return null;
    }

    /** Stops counting this node: with Redis, the other nodes stop counting its connections at once. */
    @Override
    void close();
}
