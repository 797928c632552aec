package io.wspush.broker;

import io.micrometer.core.instrument.Counter;
import io.wspush.connection.Sequencer;
import io.wspush.metrics.PushMetrics;
import io.wspush.protocol.Delivery;
import io.wspush.protocol.RegistrationFrame.Since;

import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToIntFunction;

/**
 * The memory broker's history: per user a bounded log (at most {@code size} entries, none older than {@code ttl})
 * and the push ids seen within the TTL; node-wide at most {@code maxBytes} (estimated) retained, oldest evicted
 * first. Offsets are assigned and the push delivered under the user's lock, so this node's connections receive a
 * user's pushes in offset order. A user's log, and with it its epoch, is dropped once it holds no entry (TTL or
 * eviction): the next push starts a new epoch at offset 1.
 */
final class MemoryHistory {

    /** Estimated bytes of an entry beyond its text (entry, Delivery, strings' headers, queue nodes). */
    static final int ENTRY_OVERHEAD = 200;
    /** Push ids remembered per user, at most (beyond the TTL bound). */
    static final int MAX_IDS_MIN = 1000;

    private static final SecureRandom RANDOM = new SecureRandom();

    private static final class Log {
        final String userId;
        final String epoch;
        final ArrayDeque<Entry> entries = new ArrayDeque<>();
        final LinkedHashMap<String, long[]> ids = new LinkedHashMap<>(); // id -> {offset, acceptedAtMillis}
        long offset;
        boolean removed;

        Log(String userId) {
            this.userId = userId;
            this.epoch = newEpoch();
        }
    }

    private static final class Entry {
        final Log log;
        final long bytes;
        volatile Delivery d; // null once out of its log: only the node-wide queue still holds the shell

        Entry(Log log, Delivery d, long bytes) {
            this.log = log;
            this.d = d;
            this.bytes = bytes;
        }
    }

    private final int size;
    private final long ttlMillis;
    private final long maxBytes;
    private final int maxIds;
    private final ConcurrentHashMap<String, Log> logs = new ConcurrentHashMap<>();
    /** Every entry in append order (oldest first), for TTL expiry and the node-wide cap. */
    private final ConcurrentLinkedQueue<Entry> order = new ConcurrentLinkedQueue<>();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong messages = new AtomicLong();
    private final Counter evictions;
    private final Object evicting = new Object();

    MemoryHistory(int size, long ttlMillis, long maxBytes, PushMetrics metrics) {
        this.size = size;
        this.ttlMillis = ttlMillis;
        this.maxBytes = maxBytes;
        this.maxIds = Math.max(MAX_IDS_MIN, 4 * size);
        metrics.gauge("wspush.history.users", "Users with history kept on this node", logs::size);
        metrics.gauge("wspush.history.messages", "Messages kept in history on this node", messages::get);
        metrics.gauge("wspush.history.bytes", "Estimated bytes of history on this node", bytes::get);
        this.evictions = metrics.counter("wspush.history.evictions",
                "History entries dropped early because the node-wide cap (wspush.history.max-bytes) was reached");
    }

    static String newEpoch() {
        return java.util.HexFormat.of().toHexDigits(RANDOM.nextLong());
    }

    /**
     * Appends the push and, under the user's lock, hands it to {@code deliver}.
     *
     * @return the answer; a known {@code id} is not appended nor delivered
     */
    Broker.Published append(Delivery d, String id, ToIntFunction<Delivery> deliver) {
        long now = d.acceptedAtMillis;
        evict(now); // first: a user whose history expired starts a new epoch
        Broker.Published result;
        for (;;) {
            Log log = logs.computeIfAbsent(d.userId, Log::new);
            synchronized (log) {
                if (log.removed) continue;
                if (id != null) {
                    long[] seen = log.ids.get(id);
                    if (seen != null && seen[1] >= now - ttlMillis) return new Broker.Published(0, seen[0], log.epoch);
                }
                long offset = ++log.offset;
                Delivery e = d.at(offset, log.epoch);
                // Kept apart from the delivered instance (whose encoded envelope is cached once sent), sharing the
                // log's userId string: what is kept is the push itself.
                Delivery kept = new Delivery(log.userId, e.event, e.message, e.acceptedAtMillis, offset, log.epoch);
                Entry entry = new Entry(log, kept, weight(kept));
                log.entries.addLast(entry);
                order.add(entry);
                bytes.addAndGet(entry.bytes);
                messages.incrementAndGet();
                while (log.entries.size() > size) drop(log.entries.pollFirst());
                if (id != null) {
                    log.ids.put(id, new long[] {offset, now});
                    trimIds(log, now);
                }
                result = new Broker.Published(deliver.applyAsInt(e), offset, log.epoch);
            }
            break;
        }
        evict(now);
        return result;
    }

    /** Syncs a resuming connection under the user's lock, so no push of the user passes meanwhile. */
    void sync(String userId, Sequencer s, Since since, long now) {
        evict(now);
        for (;;) {
            Log log = logs.get(userId);
            if (log == null) {
                // No history: a push creating it now is buffered by the sequencer (offset 1, new epoch) or comes after.
                s.synced(Recovery.recovered(since, null, 0, List.of(), 0), null, 0, List.of());
                return;
            }
            synchronized (log) {
                if (log.removed) continue;
                List<Delivery> after = new ArrayList<>();
                if (since != null && since.epoch().equals(log.epoch)) {
                    for (Entry e : log.entries) {
                        Delivery d = e.d;
                        if (d != null && d.offset > since.offset()) after.add(d);
                    }
                }
                Boolean recovered = Recovery.recovered(since, log.epoch, log.offset, after, now - ttlMillis);
                s.synced(recovered, log.epoch, log.offset, Boolean.TRUE.equals(recovered) ? after : List.of());
            }
            return;
        }
    }

    private static long weight(Delivery d) {
        return 2L * (d.message.length() + (d.event == null ? 0 : d.event.length()) + d.userId.length()) + ENTRY_OVERHEAD;
    }

    /** Caller holds the entry's log. The shell stays in {@link #order} (and counted) until it reaches the head. */
    private void drop(Entry e) {
        if (e == null || e.d == null) return;
        e.d = null;
        messages.decrementAndGet();
    }

    private void trimIds(Log log, long now) {
        Iterator<Map.Entry<String, long[]>> it = log.ids.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, long[]> first = it.next();
            if (log.ids.size() <= maxIds && first.getValue()[1] >= now - ttlMillis) break;
            it.remove();
        }
    }

    /** Drops entries past the TTL, and the oldest ones while over the node-wide cap. */
    private void evict(long now) {
        Entry head = order.peek();
        if (head == null || (bytes.get() <= maxBytes && !expired(head, now))) return;
        synchronized (evicting) {
            while ((head = order.peek()) != null) {
                boolean over = bytes.get() > maxBytes;
                if (!over && !expired(head, now)) break;
                order.poll();
                bytes.addAndGet(-head.bytes);
                Log log = head.log;
                synchronized (log) {
                    if (head.d != null) {
                        if (over && !expired(head, now)) evictions.increment();
                        // The node-wide order is each user's order too: a live entry at the head is its log's first.
                        if (log.entries.peekFirst() == head) log.entries.pollFirst();
                        else log.entries.remove(head);
                        drop(head);
                    }
                    if (log.entries.isEmpty() && !log.removed) {
                        log.removed = true;
                        logs.remove(log.userId, log);
                    }
                }
            }
        }
    }

    private boolean expired(Entry e, long now) {
        Delivery d = e.d;
        // A shell (entry already out of its log) only waits to be counted out: treat it as expired.
        return d == null || d.acceptedAtMillis < now - ttlMillis;
    }
}
