package io.wspush.testing;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;

import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A {@code wspush.v1} client's view: registration with {@code since}, envelopes as JSON, resume positions. */
public final class V1 {

    public static final Duration WAIT = Duration.ofSeconds(15);

    /** A message envelope's fields (offset 0 and epoch null when the envelope carries none). */
    public record Msg(String message, String event, long offset, String epoch) {
    }

    private V1() {
    }

    public static String registration(String token, String event, Long sinceOffset, String sinceEpoch) {
        JsonObjectBuilder b = Json.createObjectBuilder().add("token", token);
        if (event != null) b.add("event", event);
        if (sinceOffset != null) b.add("since", Json.createObjectBuilder().add("offset", sinceOffset).add("epoch", sinceEpoch));
        return b.build().toString();
    }

    /** Connects with the subprotocol and sends the registration; the caller reads {@code registered} itself. */
    public static WsClient connect(URI ws, String token, String event, Long sinceOffset, String sinceEpoch) {
        WsClient c = WsClient.connect(ws, "wspush.v1");
        c.send(registration(token, event, sinceOffset, sinceEpoch));
        return c;
    }

    public static JsonObject json(String frame) {
        try (var r = Json.createReader(new StringReader(frame))) {
            return r.readObject();
        }
    }

    /** The next frame, which must be the {@code registered} envelope. */
    public static JsonObject registered(WsClient c) throws InterruptedException {
        String f = c.next(WAIT);
        if (f == null) throw new AssertionError("no registered envelope" + (c.isClosed() ? ": " + c.awaitClose() : ""));
        JsonObject o = json(f);
        if (!"registered".equals(o.getString("type", null))) throw new AssertionError("expected registered, got " + f);
        return o;
    }

    /** {@code true}, {@code false}, or null when the envelope has no {@code recovered}. */
    public static Boolean recovered(JsonObject registered) {
        JsonValue v = registered.get("recovered");
        return v == null ? null : v == JsonValue.TRUE;
    }

    /** The next message envelope (pings and pongs skipped), or null after {@code wait}. */
    public static Msg next(WsClient c, Duration wait) throws InterruptedException {
        long end = System.nanoTime() + wait.toNanos();
        while (true) {
            long left = end - System.nanoTime();
            if (left <= 0) return null;
            String f = c.next(Duration.ofNanos(left));
            if (f == null) return null;
            JsonObject o = json(f);
            String type = o.getString("type", null);
            if ("ping".equals(type) || "pong".equals(type)) continue;
            if (!"message".equals(type)) throw new AssertionError("expected a message envelope, got " + f);
            return msg(o);
        }
    }

    public static Msg next(WsClient c) throws InterruptedException {
        Msg m = next(c, WAIT);
        if (m == null) throw new AssertionError("no message within " + WAIT + (c.isClosed() ? "; closed " + c.awaitClose() : ""));
        return m;
    }

    public static Msg msg(JsonObject o) {
        return new Msg(o.getString("message"), o.isNull("event") ? null : o.getString("event", null),
                o.containsKey("offset") ? o.getJsonNumber("offset").longValueExact() : 0, o.getString("epoch", null));
    }

    /** POST /push with an optional id; returns the response. */
    public static HttpResponse<String> push(TestServer s, String user, String event, String message, String id) {
        JsonObjectBuilder b = Json.createObjectBuilder().add("userId", user).add("message", message);
        if (event != null) b.add("event", event);
        if (id != null) b.add("id", id);
        return Http.post(s.http("push"), s.pushKey(), b.build().toString());
    }

    /** The offset a push was answered with (fails when the answer has none). */
    public static long offset(HttpResponse<String> r) {
        if (r.statusCode() != 200) throw new AssertionError("push answered " + r.statusCode() + " " + r.body());
        return json(r.body()).getJsonNumber("offset").longValueExact();
    }
}
