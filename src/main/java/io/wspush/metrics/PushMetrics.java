package io.wspush.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** The node's meters, served in Prometheus text format at /metrics. Counters are created once, not per event. */
public final class PushMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ConcurrentHashMap<String, Counter> closes = new ConcurrentHashMap<>();
    public final Counter pushes = counter("wspush.pushes", "Pushes accepted by POST /push");
    public final Counter delivered = counter("wspush.delivered", "Messages handed to a connection's send queue");
    public final Counter sent = counter("wspush.sent", "Messages written to a socket");
    public final Counter dropped = counter("wspush.dropped", "Messages not delivered: queue full or connection gone");
    public final Counter slowConsumerCloses = counter("wspush.slow.consumer.closes", "Connections closed for a full send queue");
    public final Counter registrations = counter("wspush.registrations", "Successful registrations");
    public final Counter refusals = counter("wspush.registrations.refused", "Registrations refused (token, frame, limit)");
    public final Counter brokerErrors = counter("wspush.broker.errors", "Broker operations that failed or timed out");
    public final Timer sendLatency = Timer.builder("wspush.send.latency")
            .description("From queueing a message to its frame being written")
            .publishPercentiles(0.5, 0.99)
            .distributionStatisticExpiry(Duration.ofMinutes(1))
            .register(registry);

    public PushMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
    }

    public void gauge(String name, String description, Supplier<Number> value) {
        Gauge.builder(name, value).description(description).register(registry);
    }

    public void closed(String reason) {
        closes.computeIfAbsent(reason, r -> Counter.builder("wspush.closes").tag("reason", r)
                .description("Connections closed, by reason").register(registry)).increment();
    }

    public void sent(long queuedNanos) {
        sent.increment();
        sendLatency.record(System.nanoTime() - queuedNanos, TimeUnit.NANOSECONDS);
    }

    public String scrape() {
        return registry.scrape();
    }

    public void close() {
        registry.close();
    }

    public Counter counter(String name, String description) {
        return Counter.builder(name).description(description).register(registry);
    }
}
