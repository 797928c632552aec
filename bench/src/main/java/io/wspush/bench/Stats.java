package io.wspush.bench;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Counters shared by all connections of one run. */
final class Stats {

    final boolean v1;
    final int users;

    final Histogram latencyMicros = new Histogram();
    final Histogram acceptToReceiveMicros = new Histogram();
    final Histogram connectMicros = new Histogram();
    final LongAdder received = new LongAdder();
    final LongAdder probes = new LongAdder();
    final LongAdder pings = new LongAdder();
    final LongAdder otherFrames = new LongAdder();
    final LongAdder unparsable = new LongAdder();
    final AtomicLong lastReceiveNanos = new AtomicLong(Long.MIN_VALUE);
    final Map<String, LongAdder> closeCodes = new ConcurrentHashMap<>();
    final Map<String, LongAdder> errors = new ConcurrentHashMap<>();

    Stats(boolean v1, int users) {
        this.v1 = v1;
        this.users = users;
    }

    static String flatten(Map<String, LongAdder> m) {
        StringBuilder sb = new StringBuilder();
        new java.util.TreeMap<>(m).forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append(" x").append(v.sum()));
        return sb.toString();
    }
}
