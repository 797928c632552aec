package io.wspush.json;

import jakarta.json.JsonException;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParser.Event;
import jakarta.json.stream.JsonParsingException;

import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * Reads a JSON object whose interesting members are strings, with the streaming JSON-P parser: strict about
 * types, cheap, unknown members skipped. Both the registration frame and the push body are such objects.
 */
public final class FlatJson {

    /** Either the string members found (JSON null counts as absent), or why the text is not acceptable. */
    public record Result(Map<String, String> fields, String error) {
        public String get(String name) {
            return fields.get(name);
        }

        public boolean ok() {
            return error == null;
        }
    }

    private FlatJson() {
    }

    public static Result parse(Reader in, Set<String> stringMembers) {
        try (JsonParser p = Jsonp.PARSERS.createParser(in)) {
            return parse(p, stringMembers, Set.of());
        } catch (JsonException e) {
            return error("malformed JSON"); // thrown by close()
        }
    }

    /** The same for UTF-8 bytes (a request body). */
    public static Result parse(byte[] utf8, Set<String> stringMembers) {
        return parse(utf8, stringMembers, Set.of());
    }

    /**
     * The same, plus {@code lenientMembers}: read when they are strings and skipped otherwise, like unknown members
     * (members added to a format whose senders may already use the name with another type).
     */
    public static Result parse(byte[] utf8, Set<String> stringMembers, Set<String> lenientMembers) {
        // Decoded here (malformed bytes become U+FFFD, as an InputStreamReader does): the parser's own reader over
        // a stream allocates an 8 KiB byte buffer and a decoder per call, more than a push body's String.
        try (JsonParser p = Jsonp.PARSERS.createParser(new StringReader(new String(utf8, StandardCharsets.UTF_8)))) {
            return parse(p, stringMembers, lenientMembers);
        } catch (JsonException e) {
            return error("malformed JSON");
        }
    }

    private static Result parse(JsonParser p, Set<String> stringMembers, Set<String> lenientMembers) {
        Map<String, String> fields = new HashMap<>(4);
        try {
            if (!p.hasNext()) return error("body is empty; expected a JSON object");
            if (p.next() != Event.START_OBJECT) return error("body must be a JSON object");
            for (Event e = p.next(); e != Event.END_OBJECT; e = p.next()) {
                String key = p.getString();
                Event v = p.next();
                if (stringMembers.contains(key)) {
                    if (v == Event.VALUE_STRING) fields.put(key, p.getString());
                    else if (v == Event.VALUE_NULL) fields.remove(key);
                    else return error(key + " must be a string");
                } else if (v == Event.VALUE_STRING && lenientMembers.contains(key)) {
                    fields.put(key, p.getString());
                } else if (v == Event.START_OBJECT) {
                    JsonSkip.rest(p);
                } else if (v == Event.START_ARRAY) {
                    JsonSkip.rest(p);
                }
            }
            if (p.hasNext()) return error("unexpected content after the JSON object");
        } catch (JsonParsingException e) {
            return error("malformed JSON at line " + e.getLocation().getLineNumber() + ", column "
                    + e.getLocation().getColumnNumber());
        } catch (JsonException | NoSuchElementException | IllegalStateException e) {
            return error("malformed JSON");
        }
        return new Result(fields, null);
    }

    private static Result error(String message) {
        return new Result(Map.of(), message);
    }
}
