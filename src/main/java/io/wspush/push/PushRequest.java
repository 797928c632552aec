package io.wspush.push;

import io.wspush.json.FlatJson;

import java.io.Reader;
import java.util.Set;

/** A push body, {@code {"userId":"...","event":"...","message":"..."}}, checked the way wserver's pushers expect. */
public record PushRequest(String userId, String event, String message) {

    private static final Set<String> MEMBERS = Set.of("userId", "event", "message");

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
        return of(FlatJson.parse(utf8, MEMBERS));
    }

    private static PushRequest of(FlatJson.Result r) throws Invalid {
        if (!r.ok()) throw new Invalid(r.error());
        String userId = r.get("userId");
        String message = r.get("message");
        String event = r.get("event");
        if (userId == null || userId.isEmpty()) throw new Invalid("userId is required (a non-empty string)");
        if (message == null || message.isEmpty()) throw new Invalid("message is required (a non-empty string)");
        return new PushRequest(userId, event == null || event.isEmpty() ? null : event, message);
    }
}
