package io.wspush.push;

import io.wspush.json.JsonSkip;
import io.wspush.json.Jsonp;
import jakarta.json.JsonException;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParser.Event;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The bodies of {@code POST /push} beyond wserver's single object: a multicast
 * {@code {"userIds":[...],"event":"e","message":"m"}}, a broadcast {@code {"broadcast":true,"event":"e","message":"m"}},
 * and a JSON array of such objects (single pushes too), processed in order. A bad item of an array is answered on
 * its own ({@link Bad}); malformed JSON, or more than {@code max} users and items, refuse the whole request.
 */
public final class PushBatch {

    /** One push of the body. */
    public sealed interface Item permits Single, Multi, Broadcast, Bad {
    }

    /** A single push, exactly as the single-object body. */
    public record Single(PushRequest request) implements Item {
    }

    /** The same message to several distinct users (in the order first listed). */
    public record Multi(List<String> userIds, String event, String message, String id) implements Item {
    }

    /** To every registered connection whose event matches, on every node. */
    public record Broadcast(String event, String message) implements Item {
    }

    /** An item that cannot be pushed; {@code message} is safe to return. */
    public record Bad(String message) implements Item {
    }

    /** What the body holds: one item (an object) or the items of an array. */
    public record Parsed(boolean array, List<Item> items) {
    }

    /** More users and items than {@code wspush.push.max-items}: nothing is pushed. */
    public static final class TooMany extends Exception {
        public TooMany(int max) {
            super("a push request may name at most " + max + " users and items (wspush.push.max-items)", null, false, false);
        }
    }

    private static final byte[] USER_IDS = "\"userIds\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BROADCAST = "\"broadcast\"".getBytes(StandardCharsets.US_ASCII);

    private PushBatch() {
    }

    /**
     * Whether the body may be more than wserver's single push: an array, or an object naming {@code userIds} or
     * {@code broadcast}. Every other body takes the single-push path, unchanged.
     */
    public static boolean mayBeBatch(byte[] body) {
        for (byte b : body) {
            if (b == ' ' || b == '\t' || b == '\n' || b == '\r') continue;
            if (b == '[') return true;
            if (b != '{') return false;
            return contains(body, USER_IDS) || contains(body, BROADCAST);
        }
        return false;
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) continue outer;
            }
            return true;
        }
        return false;
    }

    /**
     * @throws PushRequest.Invalid when the body is not JSON, neither an object nor an array, or (an object) a bad push
     * @throws TooMany             beyond {@code max} users and items
     */
    public static Parsed parse(byte[] utf8, int max) throws PushRequest.Invalid, TooMany {
        try (JsonParser p = Jsonp.PARSERS.createParser(new ByteArrayInputStream(utf8), StandardCharsets.UTF_8)) {
            if (!p.hasNext()) throw new PushRequest.Invalid("body is empty; expected a JSON object or array");
            Event first = p.next();
            Parsed parsed;
            if (first == Event.START_OBJECT) {
                Item item = item(p);
                if (item instanceof Bad bad) throw new PushRequest.Invalid(bad.message());
                if (weight(item) > max) throw new TooMany(max);
                parsed = new Parsed(false, List.of(item));
            } else if (first == Event.START_ARRAY) {
                List<Item> items = new ArrayList<>();
                int total = 0;
                for (Event e = p.next(); e != Event.END_ARRAY; e = p.next()) {
                    Item item;
                    if (e == Event.START_OBJECT) {
                        item = item(p);
                    } else {
                        if (e == Event.START_ARRAY) JsonSkip.rest(p);
                        item = new Bad("each item must be a JSON object");
                    }
                    total += Math.max(1, weight(item));
                    if (total > max) throw new TooMany(max);
                    items.add(item);
                }
                parsed = new Parsed(true, items);
            } else {
                throw new PushRequest.Invalid("body must be a JSON object or an array of objects");
            }
            if (p.hasNext()) throw new PushRequest.Invalid("malformed JSON: content after the body");
            return parsed;
        } catch (JsonException | NoSuchElementException | IllegalStateException e) {
            throw new PushRequest.Invalid("malformed JSON");
        }
    }

    /** Users and items an item counts for against the limit. */
    private static int weight(Item item) {
        return item instanceof Multi m ? m.userIds().size() : 1;
    }

    /** Reads one object (after its START_OBJECT) to its end, even when it is bad, so the next item starts clean. */
    private static Item item(JsonParser p) {
        String error = null, userId = null, event = null, message = null, id = null;
        Set<String> userIds = null;
        boolean broadcast = false;
        for (Event e = p.next(); e != Event.END_OBJECT; e = p.next()) {
            String key = p.getString();
            Event v = p.next();
            switch (key) {
                case "userId", "event", "message" -> {
                    String s = null;
                    if (v == Event.VALUE_STRING) s = p.getString();
                    else if (v != Event.VALUE_NULL) error = first(error, key + " must be a string");
                    skip(p, v);
                    if (key.equals("userId")) userId = s;
                    else if (key.equals("event")) event = s;
                    else message = s;
                }
                case "id" -> {
                    // Lenient as in PushRequest: a non-string id is skipped like an unknown member.
                    if (v == Event.VALUE_STRING) id = p.getString();
                    else skip(p, v);
                }
                case "userIds" -> {
                    if (v == Event.VALUE_NULL) {
                        userIds = null;
                    } else if (v != Event.START_ARRAY) {
                        error = first(error, "userIds must be an array of non-empty strings");
                        skip(p, v);
                    } else {
                        userIds = new LinkedHashSet<>();
                        for (Event u = p.next(); u != Event.END_ARRAY; u = p.next()) {
                            if (u == Event.VALUE_STRING && !p.getString().isEmpty()) {
                                userIds.add(p.getString());
                            } else {
                                error = first(error, "userIds must be an array of non-empty strings");
                                skip(p, u);
                            }
                        }
                    }
                }
                case "broadcast" -> {
                    if (v == Event.VALUE_TRUE) broadcast = true;
                    else if (v == Event.VALUE_FALSE || v == Event.VALUE_NULL) broadcast = false;
                    else {
                        error = first(error, "broadcast must be true or false");
                        skip(p, v);
                    }
                }
                default -> skip(p, v);
            }
        }
        if (error != null) return new Bad(error);
        String ev = event == null || event.isEmpty() ? null : event;
        if (broadcast) {
            if (userId != null || userIds != null) return new Bad("a broadcast names no userId or userIds");
        } else if (userIds != null) {
            if (userId != null) return new Bad("give userId or userIds, not both");
            if (userIds.isEmpty()) return new Bad("userIds must name at least one user");
        } else if (userId == null || userId.isEmpty()) {
            return new Bad("userId is required (a non-empty string)");
        }
        if (message == null || message.isEmpty()) return new Bad("message is required (a non-empty string)");
        if (broadcast) return new Broadcast(ev, message);
        if (id != null && (id.isEmpty() || id.length() > PushRequest.MAX_ID_CHARS)) {
            return new Bad("id must be a non-empty string of at most " + PushRequest.MAX_ID_CHARS + " characters");
        }
        if (userIds != null) return new Multi(List.copyOf(userIds), ev, message, id);
        return new Single(new PushRequest(userId, ev, message, id));
    }

    private static void skip(JsonParser p, Event v) {
        if (v == Event.START_OBJECT) JsonSkip.rest(p);
        else if (v == Event.START_ARRAY) JsonSkip.rest(p);
    }

    private static String first(String error, String candidate) {
        return error != null ? error : candidate;
    }
}
