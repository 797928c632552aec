package io.wspush.receipts;

import io.wspush.broker.Broker;
import io.wspush.config.Config;
import io.wspush.connection.Connection;
import io.wspush.metrics.PushMetrics;
import io.wspush.protocol.AckFrame;
import io.wspush.protocol.Delivery;
import io.wspush.protocol.ReceiptTag;
import io.micrometer.core.instrument.Counter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * This node's receipt book (docs/PROTOCOL.md "Receipts", docs/SCALE-OUT.md "Receipts"):
 * <ul>
 *   <li>the pushes waiting for receipts that this node took ({@link #begin}), at most {@code receipts.max-pending},
 *       each answered once when complete or at its deadline, on this book's own thread (no request thread waits);</li>
 *   <li>for every such push handed to connections here (also another node's push), which connections got it and
 *       which acknowledged it, by (user, offset), so an ack is counted once and only from a connection that got
 *       the message; an ack for an offset nobody waits on is one map miss.</li>
 * </ul>
 * Acks and handed counts for another node's push go to that node through the broker.
 */
public final class Receipts {

    private static final Logger LOG = Logger.getLogger(Receipts.class.getName());

    /** A user's message: what an ack names. */
    record Key(String userId, long offset) {
    }

    /** The connections a message waited on was handed to here: false until acknowledged, then true. */
    private static final class Handed {
        final ReceiptWait local;   // this node's wait, or null: another node's
        final String origin;       // that node
        final long id;             // its wait
        final ConcurrentHashMap<Connection, Boolean> connections = new ConcurrentHashMap<>(4);

        Handed(ReceiptWait local, String origin, long id) {
            this.local = local;
            this.origin = origin;
            this.id = id;
        }
    }

    private final ConcurrentHashMap<Long, ReceiptWait> waits = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Key, Handed> handed = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicInteger remoteEntries = new AtomicInteger();
    private final int maxPending;
    private final Duration maxWait;
    private final Broker broker;
    private final ScheduledThreadPoolExecutor timer;
    private final Counter acks;
    private final Counter complete;
    private final Counter timedOut;
    private volatile boolean stopped;

    public Receipts(Config config, PushMetrics metrics, Broker broker, ThreadFactory threads) {
        this.maxPending = config.receiptsMaxPending();
        this.maxWait = config.receiptsMaxWait();
        this.broker = broker;
        this.timer = new ScheduledThreadPoolExecutor(1, threads);
        timer.setRemoveOnCancelPolicy(true);
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false); // stop() answers the waits itself
        metrics.gauge("wspush.receipts.waiting", "Pushes on this node waiting for receipts", pending::get);
        this.acks = metrics.counter("wspush.receipts.acks", "Ack frames received from wspush.v1 connections on this node");
        this.complete = metrics.counter("wspush.receipts.complete",
                "Receipt waits answered because every connection that can acknowledge did");
        this.timedOut = metrics.counter("wspush.receipts.timed.out",
                "Receipt waits answered at their deadline (or at shutdown) with acknowledgements missing");
    }

    public Duration maxWait() {
        return maxWait;
    }

    // ---- the pusher's side ----

    /**
     * Starts a wait of at most {@code wait}; {@code answer} gets its answer once, on this book's thread.
     *
     * @return null when {@code receipts.max-pending} pushes wait already (nothing was pushed)
     * @throws IllegalStateException when the node is stopping
     */
    public ReceiptWait begin(Duration wait, Consumer<ReceiptAnswer> answer) {
        if (stopped) throw new IllegalStateException("stopping");
        if (pending.incrementAndGet() > maxPending) {
            pending.decrementAndGet();
            return null;
        }
        ReceiptWait w = new ReceiptWait(ids.incrementAndGet(), answer);
        waits.put(w.id, w);
        try {
            w.timeout = timer.schedule(() -> finish(w), wait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            abandon(w);
            throw new IllegalStateException("stopping");
        }
        return w;
    }

    /** The tag a push of this wait carries to the brokers and the other nodes. */
    public ReceiptTag tag(ReceiptWait w) {
        return new ReceiptTag(null, w.id);
    }

    /**
     * The push was made. {@code nodes}: other nodes the push reached, which will report (-1: unknown, Redis did not
     * answer within the publish budget: the push may still go out, with an offset, through Redis; the wait then
     * learns what it can until its deadline). Without an offset and without that chance (history unreachable) no
     * connection can acknowledge it: answered now.
     */
    public void pushed(ReceiptWait w, long offset, int nodes) {
        if (offset <= 0 && nodes >= 0) {
            finish(w);
            return;
        }
        if (w.armed(offset, nodes)) finish(w);
    }

    /** The push was not made (the node is stopping): the wait ends without an answer. */
    public void abandon(ReceiptWait w) {
        if (waits.remove(w.id, w)) {
            pending.decrementAndGet();
            if (w.timeout != null) w.timeout.cancel(false);
        }
    }

    private void finish(ReceiptWait w) {
        if (!waits.remove(w.id, w)) return;
        pending.decrementAndGet();
        if (w.timeout != null) w.timeout.cancel(false);
        ReceiptAnswer a = w.finish();
        if (a == null) return;
        (a.complete() ? complete : timedOut).increment();
        Key k = w.key;
        if (k != null) {
            Handed h = handed.get(k);
            if (h != null && h.local == w) handed.remove(k, h);
        }
        // Answered on this book's thread, never on a socket's or Redis's thread that happened to complete it.
        try {
            timer.execute(() -> answer(w, a));
        } catch (RejectedExecutionException stopping) {
            answer(w, a);
        }
    }

    private static void answer(ReceiptWait w, ReceiptAnswer a) {
        try {
            w.answer.accept(a);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "answering a receipt wait failed", e);
        }
    }

    // ---- the delivering side ----

    /** How the node hands the message to one connection (its usual rules). */
    public interface Hand {
        boolean to(Connection c);
    }

    /**
     * Delivers a push that carries a receipt tag to the user's connections here, noting which ones got it.
     *
     * @param own whether the push is this node's (taken here, or its own coming back through Redis)
     * @param report whether this delivery is the one another node's push gets here (it reports the counts back)
     * @return connections handed the message (as {@code deliverLocally} counts them)
     */
    public int deliver(Delivery d, boolean own, boolean report, Connection[] targets, Hand hand) {
        ReceiptTag tag = d.receipt;
        ReceiptWait w = own ? waits.get(tag.id()) : null;
        Handed h = null;
        if (d.offset > 0 && (own ? w != null : report)) {
            Key k = new Key(d.userId, d.offset);
            h = handed.get(k);
            if (h != null && !(own ? h.local == w : h.local == null && h.id == tag.id() && h.origin.equals(tag.origin()))) {
                // The same offset of an older epoch (the user's history was lost meanwhile): the newer push wins.
                if (handed.remove(k, h) && h.local == null) remoteEntries.decrementAndGet();
                h = null;
            }
            if (h == null && (own || remoteEntries.get() < maxPending)) {
                Handed fresh = new Handed(w, tag.origin(), tag.id());
                h = handed.putIfAbsent(k, fresh);
                if (h == null) {
                    h = fresh;
                    if (own) {
                        w.key = k;
                        w.offsetSeen(d.offset);
                    } else {
                        // Another node's wait: its acks are forwarded until its longest possible wait is over.
                        remoteEntries.incrementAndGet();
                        Handed mine = fresh;
                        try {
                            timer.schedule(() -> {
                                if (handed.remove(k, mine)) remoteEntries.decrementAndGet();
                            }, maxWait.toMillis() + 1000, TimeUnit.MILLISECONDS);
                        } catch (RejectedExecutionException stopping) {
                            handed.remove(k, mine);
                            remoteEntries.decrementAndGet();
                        }
                    }
                }
            }
        }
        int n = 0, v1 = 0, plain = 0;
        for (Connection c : targets) {
            // Noted before it is handed over, so an ack racing the send finds it. Plain clients cannot acknowledge,
            // nor can v1 ones when the message has no offset: both count as "plain".
            boolean noted = h != null && c.v1();
            boolean fresh = noted && h.connections.putIfAbsent(c, Boolean.FALSE) == null;
            if (hand.to(c)) {
                n++;
                if (fresh) v1++;
                else if (!noted) plain++;
            } else if (fresh) {
                h.connections.remove(c, Boolean.FALSE);
            }
        }
        if (own) {
            if (w != null && (v1 > 0 || plain > 0) && w.handed(v1, plain)) finish(w);
        } else if (report) {
            broker.sendToNode(tag.origin(), ReceiptReport.handed(tag.id(), v1, plain));
        }
        return n;
    }

    /**
     * A registered v1 connection sent an ack frame ({@link AckFrame#looksLikeAck}). While nothing here waits for
     * receipts (the usual case) it is not even parsed.
     */
    public void ackFrame(Connection c, String frame) {
        acks.increment();
        if (handed.isEmpty()) return;
        long offset = AckFrame.offset(frame);
        if (offset > 0) acked(c, offset);
    }

    /** A registered v1 connection acknowledged the message at {@code offset} of its user. */
    public void acked(Connection c, long offset) {
        Handed h = handed.get(new Key(c.userId(), offset));
        if (h == null || !h.connections.replace(c, Boolean.FALSE, Boolean.TRUE)) return; // nobody waits, or counted
        if (h.local != null) {
            if (h.local.acked(1)) finish(h.local);
        } else {
            broker.sendToNode(h.origin, ReceiptReport.acked(h.id, 1));
        }
    }

    /** A report from another node about one of this node's waits. */
    public void fromNode(String text) {
        ReceiptReport r = ReceiptReport.parse(text);
        if (r == null) {
            if (LOG.isLoggable(Level.FINE)) LOG.fine("ignoring a malformed receipt report");
            return;
        }
        ReceiptWait w = waits.get(r.id());
        if (w == null) return; // answered already
        boolean done = r.kind() == 'h' ? w.reported(r.a(), r.b()) : w.acked(r.a());
        if (done) finish(w);
    }

    /** Answers every waiting push with what is known (the node is stopping), then stops the book's thread. */
    public void stop() {
        stopped = true;
        for (ReceiptWait w : new ArrayList<>(waits.values())) finish(w);
        timer.shutdown();
        try {
            timer.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timer.shutdownNow();
    }
}
