package io.wspush.presence;

import io.wspush.json.JsonSkip;
import io.wspush.json.Jsonp;
import jakarta.json.JsonException;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParser.Event;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The body of {@code POST /presence}: {@code {"userIds":["alice","bob"]}}. Ids are non-empty strings; a repeated id
 * is answered once, where first listed (as {@code userIds} of {@code POST /push}); other members are ignored.
 */
public record PresenceRequest(List<String> userIds) {

    /** A body that is not a valid request: answered 400 with the message. */
    public static final class Invalid extends Exception {
        public Invalid(String message) {
            super(message, null, false, false);
        }
    }

    /** More distinct ids than allowed: answered 413. */
    public static final class TooMany extends Exception {
        public TooMany(int max) {
            super("userIds names more than " + max + " users", null, false, false);
        }
    }

    public static PresenceRequest parse(byte[] utf8, int max) throws Invalid, TooMany {
        try (JsonParser p = Jsonp.PARSERS.createParser(new ByteArrayInputStream(utf8), StandardCharsets.UTF_8)) {
            if (!p.hasNext() || p.next() != Event.START_OBJECT) {
                throw new Invalid("body must be a JSON object: {\"userIds\":[\"alice\",...]}");
            }
            Set<String> ids = null;
            for (Event e = p.next(); e != Event.END_OBJECT; e = p.next()) {
                String key = p.getString();
                Event v = p.next();
                if (!key.equals("userIds")) {
                    skip(p, v);
                    continue;
                }
                if (v != Event.START_ARRAY) throw new Invalid("userIds must be an array of non-empty strings");
                ids = new LinkedHashSet<>();
                for (Event u = p.next(); u != Event.END_ARRAY; u = p.next()) {
                    if (u != Event.VALUE_STRING || p.getString().isEmpty()) {
                        throw new Invalid("userIds must be an array of non-empty strings");
                    }
                    ids.add(p.getString());
                    // Stops reading at once: the work done for a refused body stays bounded.
                    if (ids.size() > max) throw new TooMany(max);
                }
            }
            if (p.hasNext()) throw new Invalid("malformed JSON: content after the body");
            if (ids == null) throw new Invalid("userIds is required: {\"userIds\":[\"alice\",...]}");
            if (ids.isEmpty()) throw new Invalid("userIds must name at least one user");
            return new PresenceRequest(List.copyOf(ids));
        } catch (JsonException | NoSuchElementException | IllegalStateException e) {
            throw new Invalid("malformed JSON");
        }
    }

    private static void skip(JsonParser p, Event v) {
        if (v == Event.START_OBJECT) JsonSkip.rest(p);
        else if (v == Event.START_ARRAY) JsonSkip.rest(p);
    }
}
