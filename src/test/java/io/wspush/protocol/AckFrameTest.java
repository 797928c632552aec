package io.wspush.protocol;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AckFrameTest {

    @Test
    void readsAWellFormedAck() {
        assertEquals(42, AckFrame.offset("{\"type\":\"ack\",\"offset\":42}"));
        assertEquals(7, AckFrame.offset(" { \"offset\" : 7 , \"type\" : \"ack\" } "));
        assertEquals(Long.MAX_VALUE, AckFrame.offset("{\"type\":\"ack\",\"offset\":" + Long.MAX_VALUE + "}"));
        assertTrue(AckFrame.looksLikeAck("{\"type\":\"ack\",\"offset\":42}"));
    }

    @Test
    void refusesEverythingElse() {
        String[] bad = {
                "", "ack", "[]", "{}", "{\"type\":\"ack\"}", "{\"offset\":1}", "{\"type\":\"ping\",\"offset\":1}",
                "{\"type\":\"ack\",\"offset\":0}", "{\"type\":\"ack\",\"offset\":-1}", "{\"type\":\"ack\",\"offset\":1.5}",
                "{\"type\":\"ack\",\"offset\":1e3}", "{\"type\":\"ack\",\"offset\":\"1\"}", "{\"type\":\"ack\",\"offset\":null}",
                "{\"type\":\"ack\",\"offset\":99999999999999999999}", "{\"type\":\"ack\",\"offset\":1,\"x\":2}",
                "{\"type\":\"ack\",\"offset\":1,\"offset\":2}", "{\"type\":\"ack\",\"type\":\"ack\",\"offset\":1}",
                "{\"type\":\"ack\",\"offset\":1}{}", "{\"type\":\"ack\",\"offset\":1", "{\"type\":[\"ack\"],\"offset\":1}",
                "{\"type\":\"ack\",\"offset\":1" + " ".repeat(100) + "}",
        };
        for (String b : bad) assertEquals(0, AckFrame.offset(b), b);
        assertFalse(AckFrame.looksLikeAck("{\"type\":\"ping\"}"));
        assertFalse(AckFrame.looksLikeAck("{\"type\":\"ack\"" + " ".repeat(100) + "}"));
    }
}
