package io.wspush.push;

import io.wspush.json.FlatJson;

import java.io.Reader;
import java.util.Set;

/**
 * A push body, {@code {"userId":"...","event":"...","message":"...","id":"..."}}, checked the way wserver's pushers
 * expect; {@code id} (optional) names the push so a retry is not delivered twice.
 */
public record PushRequest(String userId, String event, String message, String id) {

    private static final Set<String> MEMBERS = Set.of("userId", "event", "message");
    /** wserver ignored unknown members, so a pusher may already send an "id" of another type: that one is skipped. */
    private static final Set<String> LENIENT = Set.of("id");
    /** Longest push id accepted (it becomes part of a Redis key). */
    public static final int MAX_ID_CHARS = 200;

    public PushRequest(String userId, String event, String message) {
        this(userId, event, message, null);
    }

    /** Thrown with a message that is safe to return to the pusher. */
    public static final class Invalid extends Exception {
        public Invalid(String message) {
            super(message, null, false, false);
        }
    }

    public static PushRequest parse(Reader body) throws Invalid {
        return of(FlatJson.parse(body, MEMBERS));
    }

    /** The same from the body's bytes (UTF-8), as {@code POST /push} reads them. */
    public static PushRequest parse(byte[] utf8) throws Invalid {
        return of(FlatJson.parse(utf8, MEMBERS, LENIENT));
    }

    private static PushRequest of(FlatJson.Result r) throws Invalid {
        if (!r.ok()) throw new Invalid(r.error());
        String userId = r.get("userId");
        String message = r.get("message");
        String event = r.get("event");
        if (userId == null || userId.isEmpty()) throw new Invalid("userId is required (a non-empty string)");
        if (message == null || message.isEmpty()) throw new Invalid("message is required (a non-empty string)");
        String id = r.get("id");
        if (id != null && (id.isEmpty() || id.length() > MAX_ID_CHARS)) {
            throw new Invalid("id must be a non-empty string of at most " + MAX_ID_CHARS + " characters");
        }
        return new PushRequest(userId, event == null || event.isEmpty() ? null : event, message, id);
    }
}
