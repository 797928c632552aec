package io.wspush.broker;

import io.wspush.config.Config;
import io.wspush.metrics.PushMetrics;

import java.util.concurrent.ThreadFactory;

/** Picks the broker named by {@code wspush.broker}. */
public final class Brokers {

    private Brokers() {
    }

    /** @param threads makes the broker's own threads (the node's, so every wspush thread is made in one place) */
    public static Broker create(Config config, PushMetrics metrics, ThreadFactory threads) {
        return switch (config.broker()) {
            case "memory" -> new MemoryBroker(config.history() ? new MemoryHistory(config.historySize(),
                    config.historyTtl().toMillis(), config.historyMaxBytes(), metrics) : null);
            case "redis" -> new RedisBroker(config, metrics, threads);
            case "redis-cluster" -> new RedisClusterBroker(config, metrics, threads);
            default -> throw new IllegalStateException("wspush.broker must be 'memory', 'redis' or 'redis-cluster', got '"
                    + config.broker() + "'");
        };
    }
}
