package io.wspush.protocol;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

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
    void neverPrintsTheToken() {
        assertEquals("RefreshFrame[token=...]", RefreshFrame.parse("{\"type\":\"refresh\",\"token\":\"secret.jwt.x\"}").toString());
    }
}
