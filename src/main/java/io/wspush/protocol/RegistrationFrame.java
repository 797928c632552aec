package io.wspush.protocol;

import io.wspush.json.FlatJson;

import java.io.StringReader;
import java.util.Set;

/** The first frame a client sends: {@code {"token":"<jwt>","event":"<name>"}}, event optional. */
public record RegistrationFrame(String token, String event) {

    private static final Set<String> MEMBERS = Set.of("token", "event");

    /** @return the registration, or null when the text is not one */
    public static RegistrationFrame parse(String text) {
        FlatJson.Result r = FlatJson.parse(new StringReader(text), MEMBERS);
        if (!r.ok()) return null;
        String token = r.get("token");
        String event = r.get("event");
        if (token == null || token.isEmpty()) return null;
        return new RegistrationFrame(token, event == null || event.isEmpty() ? null : event);
    }

    @Override
    public String toString() {
        return "RegistrationFrame[event=" + event + "]"; // never the token
    }
}
