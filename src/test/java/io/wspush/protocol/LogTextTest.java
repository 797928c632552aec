package io.wspush.protocol;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogTextTest {

    @Test
    void plainTextIsLoggedAsIs() {
        String s = "alice event-1 token expired";
        assertSame(s, LogText.escape(s));
        assertEquals("null", LogText.escape(null));
    }

    @Test
    void controlFormatAndSeparatorCharactersAreEscaped() {
        assertEquals("a\\nSEVERE: b\\r\\t\\\\n", LogText.escape("a\nSEVERE: b\r\t\\n"));
        assertEquals("x\\u2028y\\u202ez\\u0000\\u001b[31m", LogText.escape("x\u2028y\u202ez\u0000\u001b[31m"));
        assertEquals("ünïcödé 名前", LogText.escape("ünïcödé 名前"));
    }

    @Test
    void lengthIsBounded() {
        String out = LogText.escape("x".repeat(10_000) + "\n");
        assertTrue(out.startsWith("x".repeat(LogText.MAX) + "..."), out);
        assertTrue(out.endsWith("(10001 chars)"), out);
        assertTrue(out.length() < LogText.MAX + 30);
    }

    @Test
    void metricLabelsAreBoundedToKnownCloseCodes() {
        assertEquals("1000", Disconnect.metricLabel(1000));
        assertEquals("1006", Disconnect.metricLabel(1006));
        assertEquals("4001", Disconnect.metricLabel(4001));
        assertEquals("4008", Disconnect.metricLabel(4008));
        assertEquals("other", Disconnect.metricLabel(4321));
        assertEquals("other", Disconnect.metricLabel(3000));
        assertEquals("other", Disconnect.metricLabel(4000));
        for (CloseFields f : CloseFields.values()) assertEquals(Integer.toString(f.code), Disconnect.metricLabel(f.code));
    }

    /** Every code wspush itself sends keeps its own label. */
    enum CloseFields {
        NORMAL(Disconnect.NORMAL), SHUTDOWN(Disconnect.SHUTDOWN), BINARY(Disconnect.BINARY), POLICY(Disconnect.USER_LIMIT),
        INTERNAL(Disconnect.INTERNAL), FULL(Disconnect.SERVER_FULL), SLOW(Disconnect.SLOW_CONSUMER),
        OPERATOR(Disconnect.OPERATOR), HEARTBEAT(Disconnect.HEARTBEAT_TIMEOUT), REGISTRATION(Disconnect.REGISTRATION_TIMEOUT),
        RESUME(Disconnect.RESUME_REQUIRED), TOKEN_EXPIRED(Disconnect.TOKEN_EXPIRED);

        final int code;

        CloseFields(jakarta.websocket.CloseReason r) {
            this.code = r.getCloseCode().getCode();
        }
    }
}
