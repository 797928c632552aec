package io.wspush.protocol;

import io.wspush.json.Jsonp;
import jakarta.json.stream.JsonGenerator;

import java.io.StringWriter;

/**
 * The {@code wspush.v1} subprotocol: the JSON envelopes a client that opts in receives instead of bare messages
 * (docs/PROTOCOL.md). Clients that register the wserver way never see any of these.
 */
public final class Envelopes {

    /** The subprotocol name a client offers in {@code Sec-WebSocket-Protocol} to get envelopes. */
    public static final String SUBPROTOCOL = "wspush.v1";

    public static final String PING = "{\"type\":\"ping\"}";
    public static final String PONG = "{\"type\":\"pong\"}";

    private Envelopes() {
    }

    /** {@code {"type":"message","event":...,"message":...,"ts":...}}, plus {@code "offset","epoch"} with history */
    static String message(Delivery d) {
        StringWriter w = new StringWriter(d.message.length() + 64);
        try (JsonGenerator g = Jsonp.GENERATORS.createGenerator(w)) {
            g.writeStartObject().write("type", "message");
            writeEvent(g, d.event);
            g.write("message", d.message).write("ts", d.acceptedAtMillis);
            if (d.offset > 0) g.write("offset", d.offset).write("epoch", d.epoch);
            g.writeEnd();
        }
        return w.toString();
    }

    /** {@code {"type":"registered","userId":...,"event":...,"heartbeat":<seconds>}} */
    public static String registered(String userId, String event, long heartbeatSeconds) {
        return registered(userId, event, heartbeatSeconds, null, 0);
    }

    /**
     * The same, with {@code "recovered":true|false} when the client asked to resume ({@code recovered} not null),
     * and then {@code "missed":N}, the number of pushes replayed after it.
     */
    public static String registered(String userId, String event, long heartbeatSeconds, Boolean recovered, int missed) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = Jsonp.GENERATORS.createGenerator(w)) {
            g.writeStartObject().write("type", "registered").write("userId", userId);
            writeEvent(g, event);
            g.write("heartbeat", heartbeatSeconds);
            if (recovered != null) g.write("recovered", recovered.booleanValue()).write("missed", missed);
            g.writeEnd();
        }
        return w.toString();
    }

    /**
     * {@code {"type":"refreshed","exp":<epoch seconds>}}: the connection now carries the refreshed token; {@code exp}
     * is null for a token without one (only accepted with {@code wspush.token.require-exp=false}).
     */
    public static String refreshed(java.time.Instant exp) {
        return exp == null ? "{\"type\":\"refreshed\",\"exp\":null}"
                : "{\"type\":\"refreshed\",\"exp\":" + exp.getEpochSecond() + "}";
    }

    /** Whether a client's text frame is the application-level ping (spaces tolerated). */
    public static boolean isPing(String text) {
        return text.length() < 64 && text.replace(" ", "").equals(PING);
    }

    private static void writeEvent(JsonGenerator g, String event) {
        if (event == null) g.writeNull("event");
        else g.write("event", event);
    }
}
