package io.wspush.broker;

import io.wspush.json.JsonSkip;
import io.wspush.json.Jsonp;
import io.wspush.protocol.Delivery;
import io.wspush.protocol.ReceiptTag;
import jakarta.json.JsonException;
import jakarta.json.stream.JsonGenerator;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParser.Event;

import java.io.StringReader;
import java.io.StringWriter;
import java.util.NoSuchElementException;

/**
 * What one node tells the others through Redis, as a small JSON object:
 * <pre>
 * {"v":1,"k":"push","o":"node-a#3f9c01d2","u":"alice","e":"news","m":"hello","t":1732700000123}
 * {"v":1,"k":"disconnect","o":"node-a#3f9c01d2","u":"alice","t":1732700000123}
 * {"v":1,"k":"broadcast","o":"node-a#3f9c01d2","e":"news","m":"hello","t":1732700000123}
 * </pre>
 * A broadcast (on the control channel) names no user; nodes older than it ignore it as malformed (counted, logged
 * once). With history, a push also carries {@code "offset"} and {@code "epoch"} (its place in the user's history).
 * {@code o} is the origin (so a node skips its own messages), {@code u} the userId, {@code e} the event (absent or
 * null: none), {@code m} the message, {@code t} the epoch millisecond the push was accepted or the revocation
 * happened. Unknown members are skipped, so a newer node may add some without breaking older ones. A push whose
 * pusher waits for receipts also carries {@code "r":<id>} (the wait's id on the origin node; docs/SCALE-OUT.md,
 * "Receipts").
 */
public record RedisPayload(Kind kind, String origin, String userId, String event, String message, long at,
                           long offset, String epoch, long receipt) {

    public enum Kind { PUSH, DISCONNECT, BROADCAST }

    static final int VERSION = 1;

    public RedisPayload(Kind kind, String origin, String userId, String event, String message, long at) {
        this(kind, origin, userId, event, message, at, 0, null);
    }

    public RedisPayload(Kind kind, String origin, String userId, String event, String message, long at,
                        long offset, String epoch) {
        this(kind, origin, userId, event, message, at, offset, epoch, 0);
    }

    public static RedisPayload push(String origin, Delivery d) {
        return new RedisPayload(Kind.PUSH, origin, d.userId, d.event, d.message, d.acceptedAtMillis, d.offset, d.epoch,
                d.receipt == null ? 0 : d.receipt.id());
    }

    public static RedisPayload broadcast(String origin, Delivery d) {
        return new RedisPayload(Kind.BROADCAST, origin, null, d.event, d.message, d.acceptedAtMillis);
    }

    public static RedisPayload disconnect(String origin, String userId, long revokedAtEpochMillis) {
        return new RedisPayload(Kind.DISCONNECT, origin, userId, null, null, revokedAtEpochMillis);
    }

    public Delivery delivery() {
        Delivery d = new Delivery(userId, event, message, at, offset, epoch);
        return receipt > 0 ? d.withReceipt(new ReceiptTag(origin, receipt)) : d;
    }

    /**
     * The push without its history position and closing brace: the history script appends
     * {@code ,"offset":<offset>,"epoch":"<epoch>"}} (see {@link RedisHistory}), and keeps this text as the stream entry.
     */
    String encodeOpen() {
        String whole = encode();
        return whole.substring(0, whole.length() - 1);
    }

    /** A kept entry, or a payload as the script published it, back into a payload with its position. */
    static String close(String open, long offset, String epoch) {
        return open + ",\"offset\":" + offset + ",\"epoch\":\"" + epoch + "\"}";
    }

    public String encode() {
        StringWriter w = new StringWriter(64 + (message == null ? 0 : message.length()) + (userId == null ? 0 : userId.length()));
        try (JsonGenerator g = Jsonp.GENERATORS.createGenerator(w)) {
            g.writeStartObject().write("v", VERSION)
                    .write("k", kind == Kind.PUSH ? "push" : kind == Kind.BROADCAST ? "broadcast" : "disconnect")
                    .write("o", origin);
            if (userId != null) g.write("u", userId);
            if (kind != Kind.DISCONNECT) {
                if (event == null) g.writeNull("e");
                else g.write("e", event);
                g.write("m", message);
            }
            g.write("t", at);
            if (receipt > 0) g.write("r", receipt);
            if (offset > 0) g.write("offset", offset).write("epoch", epoch);
            g.writeEnd();
        }
        return w.toString();
    }

    /** @throws IllegalArgumentException when the text is not a payload this version understands */
    public static RedisPayload decode(String text) {
        if (text == null) throw new IllegalArgumentException("no payload");
        String k = null, o = null, u = null, e = null, m = null, h = null;
        Long t = null, n = null, r = null;
        Long v = null;
        try (JsonParser p = Jsonp.PARSERS.createParser(new StringReader(text))) {
            if (!p.hasNext() || p.next() != Event.START_OBJECT) throw new IllegalArgumentException("not a JSON object");
            for (Event ev = p.next(); ev != Event.END_OBJECT; ev = p.next()) {
                String key = p.getString();
                Event val = p.next();
                switch (key) {
                    case "v" -> v = integral(val, p, key);
                    case "k" -> k = string(val, p, key);
                    case "o" -> o = string(val, p, key);
                    case "u" -> u = string(val, p, key);
                    case "e" -> e = string(val, p, key);
                    case "m" -> m = string(val, p, key);
                    case "t" -> t = integral(val, p, key);
                    case "offset" -> n = integral(val, p, key);
                    case "epoch" -> h = string(val, p, key);
                    case "r" -> r = integral(val, p, key);
                    default -> {
                        if (val == Event.START_OBJECT) JsonSkip.rest(p);
                        else if (val == Event.START_ARRAY) JsonSkip.rest(p);
                    }
                }
            }
            if (p.hasNext()) throw new IllegalArgumentException("content after the JSON object");
        } catch (JsonException | NoSuchElementException | IllegalStateException ex) {
            throw new IllegalArgumentException("malformed JSON: " + ex.getMessage(), ex);
        }
        if (v == null || v.longValue() != VERSION) throw new IllegalArgumentException("unsupported version " + v);
        if (o == null) throw new IllegalArgumentException("origin (o) missing");
        if (t == null) throw new IllegalArgumentException("time (t) missing");
        if ("broadcast".equals(k)) {
            if (m == null) throw new IllegalArgumentException("message (m) missing");
            return new RedisPayload(Kind.BROADCAST, o, null, e == null || e.isEmpty() ? null : e, m, t);
        }
        if (u == null) throw new IllegalArgumentException("userId (u) missing");
        if ("push".equals(k)) {
            if (m == null) throw new IllegalArgumentException("message (m) missing");
            boolean positioned = n != null && n > 0 && h != null;
            return new RedisPayload(Kind.PUSH, o, u, e == null || e.isEmpty() ? null : e, m, t,
                    positioned ? n : 0, positioned ? h : null, r == null || r < 0 ? 0 : r);
        }
        if ("disconnect".equals(k)) return new RedisPayload(Kind.DISCONNECT, o, u, null, null, t);
        throw new IllegalArgumentException("unknown kind " + k);
    }

    private static String string(Event val, JsonParser p, String key) {
        if (val == Event.VALUE_STRING) return p.getString();
        if (val == Event.VALUE_NULL) return null;
        throw new IllegalArgumentException(key + " must be a string");
    }

    private static Long integral(Event val, JsonParser p, String key) {
        if (val == Event.VALUE_NULL) return null;
        if (val != Event.VALUE_NUMBER || !p.isIntegralNumber()) throw new IllegalArgumentException(key + " must be an integer");
        return p.getLong();
    }
}
