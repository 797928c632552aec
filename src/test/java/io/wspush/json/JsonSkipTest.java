package io.wspush.json;

import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Unknown members are skipped in linear time and unterminated ones end in an error: JSON-P's skipArray/skipObject
 * looped forever on {@code {"x":[} (a registration frame or push body from anyone) and took exponential time on
 * nested arrays.
 */
class JsonSkipTest {

    static final Duration QUICK = Duration.ofSeconds(5);
    static final Set<String> MEMBERS = Set.of("token", "event");

    static FlatJson.Result parse(String text) {
        return assertTimeoutPreemptively(QUICK, () -> FlatJson.parse(new StringReader(text), MEMBERS), text);
    }

    static FlatJson.Result parseBytes(String text) {
        return assertTimeoutPreemptively(QUICK, () -> FlatJson.parse(text.getBytes(StandardCharsets.UTF_8), MEMBERS), text);
    }

    @Test
    void unterminatedUnknownMembersAreMalformedNotAHang() {
        for (String text : new String[] {"{\"token\":\"t\",\"x\":[", "{\"token\":\"t\",\"x\":{", "{\"token\":\"t\",\"x\":{\"a\":1",
                "{\"token\":\"t\",\"x\":[1,", "{\"token\":\"t\",\"x\":[[[{\"a\":[", "{\"x\":[]"}) {
            assertFalse(parse(text).ok(), text);
            assertFalse(parseBytes(text).ok(), text);
        }
    }

    @Test
    void nestedUnknownMembersAreSkippedInLinearTime() {
        String nested = "[".repeat(200) + "]".repeat(200);
        String text = "{\"x\":" + nested + ",\"token\":\"t\",\"y\":{\"a\":{\"b\":[{},{\"c\":[1,2]}]}}}";
        FlatJson.Result r = parse(text);
        assertTrue(r.ok(), r.error());
        assertEquals("t", r.get("token"));
        assertEquals("t", parseBytes(text).get("token"));
    }

    @Test
    void nestingBeyondTheBoundIsMalformed() {
        int n = JsonSkip.MAX_DEPTH + 1;
        String text = "{\"token\":\"t\",\"x\":" + "[".repeat(n) + "]".repeat(n) + "}";
        assertFalse(parse(text).ok());
        String huge = "{\"token\":\"t\",\"x\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        assertFalse(parse(huge).ok());
        assertFalse(parseBytes(huge).ok());
    }
}
