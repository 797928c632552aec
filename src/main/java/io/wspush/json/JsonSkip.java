package io.wspush.json;

import jakarta.json.JsonException;
import jakarta.json.stream.JsonParser;

/**
 * Skips the rest of the object or array a parser has just entered, one event at a time: linear in its length, and
 * an unterminated one ends in the parser's exception. JSON-P's own {@code skipObject}/{@code skipArray} (Parsson
 * 1.1) loop forever at the end of unterminated input (eclipse-ee4j/parsson#23) and take exponential time on nested
 * arrays, so a client's {@code {"x":[} would hold a container thread at full CPU for good.
 */
public final class JsonSkip {

    /**
     * Deepest nesting skipped; deeper input is refused as a {@link JsonException}, which every reader here handles,
     * before Parsson's own limit (1000) throws a bare RuntimeException.
     */
    public static final int MAX_DEPTH = 256;

    private JsonSkip() {
    }

    /** Call right after {@code START_OBJECT} or {@code START_ARRAY}; returns after the matching end. */
    public static void rest(JsonParser p) {
        int depth = 1;
        while (depth > 0) {
            switch (p.next()) { // NoSuchElementException or JsonParsingException at the end of input
                case START_OBJECT, START_ARRAY -> {
                    if (++depth > MAX_DEPTH) throw new JsonException("nested deeper than " + MAX_DEPTH);
                }
                case END_OBJECT, END_ARRAY -> depth--;
                default -> {
                }
            }
        }
    }
}
