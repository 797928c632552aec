package io.wspush.push;

import jakarta.json.Json;
import jakarta.json.stream.JsonGenerator;
import jakarta.json.stream.JsonGeneratorFactory;

import java.io.StringWriter;
import java.util.Map;

/**
 * One pushed message on its way to a user's connections. Its frames are encoded once and shared by every
 * recipient: plain clients get {@link #message}, {@code wspush.v1} clients the envelope.
 */
public final class Delivery {

    private static final JsonGeneratorFactory JSON = Json.createGeneratorFactory(Map.of());

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

    public String envelope() {
        String e = envelope;
        if (e == null) {
            StringWriter w = new StringWriter(message.length() + 64);
            try (JsonGenerator g = JSON.createGenerator(w)) {
                g.writeStartObject().write("type", "message");
                if (event == null) g.writeNull("event");
                else g.write("event", event);
                g.write("message", message).write("ts", acceptedAtMillis).writeEnd();
            }
            envelope = e = w.toString();
        }
        return e;
    }
}
