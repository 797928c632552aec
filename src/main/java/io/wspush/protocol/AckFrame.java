package io.wspush.protocol;

import io.wspush.json.Jsonp;
import jakarta.json.JsonException;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParser.Event;

import java.io.StringReader;
import java.util.NoSuchElementException;

/**
 * A {@code wspush.v1} client's receipt, {@code {"type":"ack","offset":K}}: the message at offset K was handed to the
 * application. Read strictly (exactly these two members, K a positive integer) and only from small frames, since
 * every registered v1 client may send one per message.
 */
public final class AckFrame {

    /** Longer frames are not acks (the longest ack, with a 19-digit offset and some spaces, is well below). */
    public static final int MAX_CHARS = 96;

    private AckFrame() {
    }

    /** Whether the frame claims to be an ack (cheap; {@link #offset} decides whether it is a valid one). */
    public static boolean looksLikeAck(String text) {
        return text.length() <= MAX_CHARS && text.contains("\"ack\"");
    }

    /** @return the acknowledged offset, or 0 when the text is not a well-formed ack */
    public static long offset(String text) {
        if (text.length() > MAX_CHARS) return 0;
        boolean typed = false;
        long offset = 0;
        try (JsonParser p = Jsonp.PARSERS.createParser(new StringReader(text))) {
            if (!p.hasNext() || p.next() != Event.START_OBJECT) return 0;
            for (Event e = p.next(); e != Event.END_OBJECT; e = p.next()) {
                if (e != Event.KEY_NAME) return 0;
                String key = p.getString();
                Event v = p.next();
                if (key.equals("type") && !typed) {
                    if (v != Event.VALUE_STRING || !p.getString().equals("ack")) return 0;
                    typed = true;
                } else if (key.equals("offset") && offset == 0) {
                    if (v != Event.VALUE_NUMBER || !p.isIntegralNumber()) return 0;
                    offset = p.getBigDecimal().longValueExact();
                    if (offset <= 0) return 0;
                } else {
                    return 0; // unknown or repeated member
                }
            }
            if (p.hasNext()) return 0;
        } catch (JsonException | NoSuchElementException | IllegalStateException | ArithmeticException e) {
            return 0;
        }
        return typed ? offset : 0;
    }
}
