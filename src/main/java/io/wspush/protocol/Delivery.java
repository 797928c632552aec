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
    private volatile String envelope;

    public Delivery(String userId, String event, String message, long acceptedAtMillis) {
        this.userId = userId;
        this.event = event;
        this.message = message;
        this.acceptedAtMillis = acceptedAtMillis;
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
        String e = envelope;
        if (e == null) envelope = e = Envelopes.message(this);
        return e;
    }
}
