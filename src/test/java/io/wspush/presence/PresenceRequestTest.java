package io.wspush.presence;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PresenceRequestTest {

    static PresenceRequest parse(String body, int max) throws Exception {
        return PresenceRequest.parse(body.getBytes(StandardCharsets.UTF_8), max);
    }

    @Test
    void distinctIdsInFirstListedOrderAndUnknownMembersIgnored() throws Exception {
        assertEquals(List.of("b", "a", "ü"), parse("{\"x\":{\"y\":[1]},\"userIds\":[\"b\",\"a\",\"b\",\"ü\"],\"z\":null}", 3).userIds());
    }

    @Test
    void moreDistinctIdsThanAllowedAreRefusedButRepeatsDoNotCount() throws Exception {
        assertEquals(2, parse("{\"userIds\":[\"a\",\"a\",\"a\",\"b\"]}", 2).userIds().size());
        assertTrue(assertThrows(PresenceRequest.TooMany.class, () -> parse("{\"userIds\":[\"a\",\"b\",\"c\"]}", 2))
                .getMessage().contains("more than 2"));
    }

    @Test
    void badBodiesSayWhy() {
        for (String bad : List.of("", "null", "[\"a\"]", "{}", "{\"userIds\":null}", "{\"userIds\":[]}",
                "{\"userIds\":[\"a\",2]}", "{\"userIds\":[\"\"]}", "{\"userIds\":[[\"a\"]]}", "{\"userIds\":[\"a\"]",
                "{\"userIds\":[\"a\"]}{}", "{\"userIds\":[\"a\"]} 1")) {
            PresenceRequest.Invalid e = assertThrows(PresenceRequest.Invalid.class, () -> parse(bad, 1000), bad);
            assertTrue(e.getMessage() != null && !e.getMessage().isEmpty(), bad);
        }
    }
}
