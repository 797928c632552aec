package io.wspush.protocol;

import io.wspush.json.FlatJson;
import io.wspush.json.JsonSkip;
import io.wspush.json.Jsonp;
import jakarta.json.JsonException;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParser.Event;

import java.io.StringReader;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The first frame a client sends: {@code {"token":"<jwt>","event":"<name>"}}, event optional; a {@code wspush.v1}
 * client may add {@code "since":{"offset":K,"epoch":"E"}}, the last message it saw (docs/PROTOCOL.md, "Resuming").
 */
public record RegistrationFrame(String token, String event, Since since) {

    private static final Set<String> MEMBERS = Set.of("token", "event");
    /** Longest epoch accepted in {@code since}; the server's epochs are 16 hex digits. */
    static final int MAX_EPOCH_CHARS = 64;

    /** The last message a resuming client saw: its offset and epoch. */
    public record Since(long offset, String epoch) {
    }

    public RegistrationFrame(String token, String event) {
        this(token, event, null);
    }

    /** @return the registration, or null when the text is not one ({@code since} is not read: plain clients) */
    public static RegistrationFrame parse(String text) {
        return parse(text, false);
    }

    /**
     * @param readSince whether to read {@code since} (v1 clients); a {@code since} that is present but not
     *                  {@code {"offset":<integer >= 0>,"epoch":"<string>"}} (or null) makes the frame unacceptable
     * @return the registration, or null when the text is not one
     */
    public static RegistrationFrame parse(String text, boolean readSince) {
        FlatJson.Result r = FlatJson.parse(new StringReader(text), MEMBERS);
        if (!r.ok()) return null;
        String token = r.get("token");
        String event = r.get("event");
        if (token == null || token.isEmpty()) return null;
        Since since = null;
        if (readSince && text.contains("\"since\"")) {
            since = since(text);
            if (since == MALFORMED) return null;
        }
        return new RegistrationFrame(token, event == null || event.isEmpty() ? null : event, since);
    }

    private static final Since MALFORMED = new Since(-1, "");

    /** The top-level {@code since} member: null when absent or null, {@link #MALFORMED} when not acceptable. */
    private static Since since(String text) {
        try (JsonParser p = Jsonp.PARSERS.createParser(new StringReader(text))) {
            p.next(); // START_OBJECT: FlatJson already checked the shape
            Since found = null;
            for (Event e = p.next(); e != Event.END_OBJECT; e = p.next()) {
                String key = p.getString();
                Event v = p.next();
                if (key.equals("since")) {
                    if (v == Event.VALUE_NULL) found = null;
                    else if (v == Event.START_OBJECT) found = sinceObject(p);
                    else return MALFORMED;
                    if (found == MALFORMED) return MALFORMED;
                } else if (v == Event.START_OBJECT) {
                    JsonSkip.rest(p);
                } else if (v == Event.START_ARRAY) {
                    JsonSkip.rest(p);
                }
            }
            return found;
        } catch (JsonException | NoSuchElementException | IllegalStateException e) {
            return MALFORMED;
        }
    }

    private static Since sinceObject(JsonParser p) {
        Long offset = null;
        String epoch = null;
        for (Event e = p.next(); e != Event.END_OBJECT; e = p.next()) {
            String key = p.getString();
            Event v = p.next();
            switch (key) {
                case "offset" -> {
                    if (v != Event.VALUE_NUMBER || !p.isIntegralNumber()) return MALFORMED;
                    try {
                        offset = p.getBigDecimal().longValueExact();
                    } catch (ArithmeticException tooLarge) {
                        return MALFORMED;
                    }
                }
                case "epoch" -> {
                    if (v != Event.VALUE_STRING) return MALFORMED;
                    epoch = p.getString();
                }
                default -> {
                    if (v == Event.START_OBJECT) JsonSkip.rest(p);
                    else if (v == Event.START_ARRAY) JsonSkip.rest(p);
                }
            }
        }
        if (offset == null || offset < 0 || epoch == null || epoch.length() > MAX_EPOCH_CHARS) return MALFORMED;
        return new Since(offset, epoch);
    }

    @Override
    public String toString() {
        return "RegistrationFrame[event=" + event + ", since=" + since + "]"; // never the token
    }
}
