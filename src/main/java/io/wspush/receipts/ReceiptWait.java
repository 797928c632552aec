package io.wspush.receipts;

import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;

/**
 * One push whose pusher waits for receipts. Counts what this node and the other nodes report; it is complete once the
 * push was made ({@link #armed}), every other node it reached reported how many connections it handed it to, and every
 * connection that can acknowledge did. All under this object's lock: reports come from sockets, Redis and the timer.
 */
public final class ReceiptWait {

    final long id;
    final Consumer<ReceiptAnswer> answer;
    volatile ScheduledFuture<?> timeout;
    volatile Receipts.Key key; // set when armed with an offset
    private int v1;
    private int plain;
    private int acked;
    private int reports;
    private int expectedReports = -1; // unknown until armed
    private boolean armed;
    private boolean done;
    private long offset;

    ReceiptWait(long id, Consumer<ReceiptAnswer> answer) {
        this.id = id;
        this.answer = answer;
    }

    /** Connections of this node the push was handed to (v1 ones can acknowledge; plain ones cannot). */
    synchronized boolean handed(int v1, int plain) {
        this.v1 += v1;
        this.plain += plain;
        return complete();
    }

    /** Another node's report: the connections it handed the push to. */
    synchronized boolean reported(int v1, int plain) {
        this.v1 += v1;
        this.plain += plain;
        reports++;
        return complete();
    }

    synchronized boolean acked(int n) {
        acked += n;
        return complete();
    }

    /** The push was made: its offset, and how many other nodes will report (-1: unknown, wait for the deadline). */
    synchronized boolean armed(long offset, int nodes) {
        if (offset > 0) this.offset = offset;
        this.expectedReports = nodes;
        this.armed = true;
        return complete();
    }

    /** The offset, learnt from a delivery (when the push itself did not learn it in time). */
    synchronized void offsetSeen(long offset) {
        if (this.offset == 0) this.offset = offset;
    }

    private boolean complete() {
        return armed && expectedReports >= 0 && reports >= expectedReports && acked >= v1;
    }

    /** @return the answer, once; null when already answered */
    synchronized ReceiptAnswer finish() {
        if (done) return null;
        done = true;
        return new ReceiptAnswer(v1 + plain, Math.min(acked, v1), plain, offset, complete());
    }
}
