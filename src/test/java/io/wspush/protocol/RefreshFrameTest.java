package io.wspush.protocol;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class RefreshFrameTest {

    @Test
    void aRefreshFrameGivesItsToken() {
        assertEquals("a.b.c", RefreshFrame.parse("{\"type\":\"refresh\",\"token\":\"a.b.c\"}").token());
        assertEquals("a.b.c", RefreshFrame.parse(" { \"token\" : \"a.b.c\", \"type\" : \"refresh\", \"x\": {\"y\": [1]} } ").token());
    }

    @Test
    void aRefreshFrameWithoutAUsableTokenIsMalformed() {
        for (String text : new String[] {
                "{\"type\":\"refresh\"}", "{\"type\":\"refresh\",\"token\":\"\"}", "{\"type\":\"refresh\",\"token\":null}",
                "{\"type\":\"refresh\",\"token\":42}", "{\"type\":\"refresh\",\"token\":{\"t\":\"x\"}}",
                "{\"type\":\"refresh\",\"token\":[\"x\"]}"}) {
            assertSame(RefreshFrame.MALFORMED, RefreshFrame.parse(text), text);
        }
    }

    @Test
    void otherFramesAreNotRefreshFrames() {
        for (String text : new String[] {
                "{\"type\":\"ping\"}", "{\"type\":\"ack\",\"offset\":3}", "refresh", "\"refresh\"", "[\"refresh\"]",
                "{\"type\":\"refreshed\",\"token\":\"t\"}", "{\"type\":[\"refresh\"],\"token\":\"t\"}",
                "{\"kind\":\"refresh\",\"token\":\"t\"}", "{\"type\":\"refresh\",\"token\":\"t\"} trailing",
                "{\"type\":\"refresh\",\"token\":\"t\"", "{\"token\":\"refresh\"}", ""}) {
            assertNull(RefreshFrame.parse(text), text);
        }
    }

    @Test
    void unterminatedOrDeeplyNestedFramesAreNotFramesAndEndQuickly() {
        // JSON-P's skipArray looped forever on these (eclipse-ee4j/parsson#23): a container thread lost for good.
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        for (String text : new String[] {
                "{\"type\":\"refresh\",\"x\":[", "{\"type\":\"refresh\",\"x\":{\"a\":[1,",
                "{\"type\":\"refresh\",\"x\":" + deep + ",\"token\":\"t\"}"}) {
            assertNull(assertTimeoutPreemptively(Duration.ofSeconds(5), () -> RefreshFrame.parse(text)), text);
            assertNull(assertTimeoutPreemptively(Duration.ofSeconds(5), () -> RegistrationFrame.parse(text, true)), text);
        }
        String since = "{\"token\":\"t\",\"since\":{\"offset\":1,\"epoch\":\"e\",\"x\":[";
        assertNull(assertTimeoutPreemptively(Duration.ofSeconds(5), () -> RegistrationFrame.parse(since, true)));
        String nested = "{\"type\":\"refresh\",\"x\":" + "[".repeat(100) + "]".repeat(100) + ",\"token\":\"t\"}";
        assertEquals("t", RefreshFrame.parse(nested).token());
    }

    @Test
    void neverPrintsTheToken() {
        assertEquals("RefreshFrame[token=...]", RefreshFrame.parse("{\"type\":\"refresh\",\"token\":\"secret.jwt.x\"}").toString());
    }
}
