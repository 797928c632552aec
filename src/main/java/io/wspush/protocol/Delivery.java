package io.wspush.protocol;

/**
 * One pushed message on its way to a user's connections. Its frames are encoded once and shared by every
 * recipient: plain clients get {@link #message}, {@code wspush.v1} clients the envelope.
 */
public final class Delivery {

    public final String userId;
    public final String event;      // null: no event
    public final String message;
    public final long acceptedAtMillis;
    /** The user's history position (1, 2, ...); 0 when the push has none (history off or unavailable). */
    public final long offset;
    /** The history's lifetime the offset belongs to; null when {@link #offset} is 0. */
    public final String epoch;
    /**
     * The encoded envelope, in a holder that copies for other users ({@link #to}) share: a multicast without
     * history encodes its envelope once for all its users (the envelope names no user).
     */
    private final String[] envelope;
    /** The pusher waits for receipts of this push (see {@link ReceiptTag}); null for nearly every push. */
    public final ReceiptTag receipt;

    public Delivery(String userId, String event, String message, long acceptedAtMillis) {
        this(userId, event, message, acceptedAtMillis, 0, null);
    }

    public Delivery(String userId, String event, String message, long acceptedAtMillis, long offset, String epoch) {
        this(userId, event, message, acceptedAtMillis, offset, epoch, new String[1]);
    }

    private Delivery(String userId, String event, String message, long acceptedAtMillis, long offset, String epoch,
                     String[] envelope) {
        this(userId, event, message, acceptedAtMillis, offset, epoch, envelope, null);
    }

    private Delivery(String userId, String event, String message, long acceptedAtMillis, long offset, String epoch,
                     String[] envelope, ReceiptTag receipt) {
        this.receipt = receipt;
        this.envelope = envelope;
        this.userId = userId;
        this.event = event;
        this.message = message;
        this.acceptedAtMillis = acceptedAtMillis;
        this.offset = offset;
        this.epoch = epoch;
    }

    /** The same push at its place in the user's history. */
    public Delivery at(long offset, String epoch) {
        return new Delivery(userId, event, message, acceptedAtMillis, offset, epoch, new String[1], receipt);
    }

    /** The same push, whose pusher waits for receipts. */
    public Delivery withReceipt(ReceiptTag tag) {
        return new Delivery(userId, event, message, acceptedAtMillis, offset, epoch, envelope, tag);
    }

    /** The same push (same frames) for another user: a multicast. */
    public Delivery to(String otherUserId) {
        return new Delivery(otherUserId, event, message, acceptedAtMillis, offset, epoch, envelope);
    }

    /** A push naming an event reaches connections registered for it or for none; one naming none reaches all. */
    public boolean matches(String connectionEvent) {
        return event == null || connectionEvent == null || event.equals(connectionEvent);
    }

    /** The frame a connection receives: the bare message for plain clients, the envelope for {@code wspush.v1}. */
    public String frame(boolean v1) {
        return v1 ? envelope() : message;
    }

    public String envelope() {
        // A race encodes twice at worst; a String is safe to publish without a fence.
        String e = envelope[0];
        if (e == null) envelope[0] = e = Envelopes.message(this);
        return e;
    }
}
