package io.wspush.broker;

import io.wspush.config.Config;
import io.wspush.metrics.PushMetrics;

/** Picks the broker named by {@code wspush.broker}. */
public final class Brokers {

    private Brokers() {
    }

    public static Broker create(Config config, PushMetrics metrics) {
        return switch (config.broker()) {
            case "memory" -> new MemoryBroker();
            case "redis" -> new RedisBroker(config, metrics);
            default -> throw new IllegalStateException("wspush.broker must be 'memory' or 'redis', got '"
                    + config.broker() + "'");
        };
    }
}
