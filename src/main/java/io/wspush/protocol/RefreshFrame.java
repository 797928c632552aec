package io.wspush.protocol;

import io.wspush.json.JsonSkip;
import io.wspush.json.Jsonp;
import jakarta.json.JsonException;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParser.Event;

import java.io.StringReader;
import java.util.NoSuchElementException;

/**
 * A registered {@code wspush.v1} client's new token for its open connection: {@code {"type":"refresh","token":"<jwt>"}}
 * (docs/PROTOCOL.md, "Token refresh"). Read with the streaming parser, no tree, so a frame costs what its length
 * costs (frames are bounded by {@code wspush.ws.max-frame-bytes}).
 */
public record RefreshFrame(String token) {

    /** The frame says {@code "type":"refresh"} but its {@code token} is missing, empty or not a string. */
    public static final RefreshFrame MALFORMED = new RefreshFrame(null);

    /**
     * @return null when the text is not a refresh frame (not a JSON object, or its top-level {@code type} is not the
     *         string {@code "refresh"}), {@link #MALFORMED} when it is one without a usable token, else the frame
     */
    public static RefreshFrame parse(String text) {
        if (!text.contains("refresh")) return null; // cheap: most frames after registration are pings (and acks)
        String type = null;
        String token = null;
        boolean badToken = false;
        try (JsonParser p = Jsonp.PARSERS.createParser(new StringReader(text))) {
            if (!p.hasNext() || p.next() != Event.START_OBJECT) return null;
            for (Event e = p.next(); e != Event.END_OBJECT; e = p.next()) {
                String key = p.getString();
                Event v = p.next();
                if (key.equals("type")) {
                    type = v == Event.VALUE_STRING ? p.getString() : null;
                } else if (key.equals("token")) {
                    token = v == Event.VALUE_STRING ? p.getString() : null;
                    badToken = v != Event.VALUE_STRING;
                }
                if (v == Event.START_OBJECT || v == Event.START_ARRAY) JsonSkip.rest(p);
            }
            if (p.hasNext()) return null; // trailing content: not JSON, not a frame of ours
        } catch (JsonException | NoSuchElementException | IllegalStateException e) {
            return null;
        }
        if (!"refresh".equals(type)) return null;
        if (badToken || token == null || token.isEmpty()) return MALFORMED;
        return new RefreshFrame(token);
    }

    @Override
    public String toString() {
        return this == MALFORMED ? "RefreshFrame[malformed]" : "RefreshFrame[token=...]"; // never the token
    }
}
