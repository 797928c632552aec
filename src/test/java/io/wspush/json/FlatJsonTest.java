package io.wspush.json;

import io.wspush.protocol.RegistrationFrame;
import io.wspush.push.PushRequest;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The strict little parser behind both the registration frame and the push body. */
class FlatJsonTest {

    static FlatJson.Result parse(String s) {
        return FlatJson.parse(new StringReader(s), Set.of("a", "b"));
    }

    @Test
    void readsStringMembersAndSkipsTheRest() {
        FlatJson.Result r = parse("{\"x\":{\"y\":[1,2,{\"z\":null}]},\"a\":\"A\",\"n\":1.5,\"b\":null,\"t\":true}");
        assertTrue(r.ok(), r.error());
        assertEquals("A", r.get("a"));
        assertNull(r.get("b"));
    }

    @Test
    void lastDuplicateWins() {
        assertEquals("2", parse("{\"a\":\"1\",\"a\":\"2\"}").get("a"));
    }

    @Test
    void refusesNonObjectsWrongTypesAndTrailingContent() {
        assertEquals("body must be a JSON object", parse("[]").error());
        assertEquals("body must be a JSON object", parse("\"a\"").error());
        assertEquals("a must be a string", parse("{\"a\":1}").error());
        assertEquals("a must be a string", parse("{\"a\":[\"x\"]}").error());
        String trailing = parse("{} {}").error();
        assertTrue(trailing.startsWith("malformed JSON") || trailing.startsWith("unexpected content"), trailing);
        assertTrue(parse("{\"a\":").error().startsWith("malformed JSON"));
        assertTrue(!parse("").ok(), "empty input is refused");
    }

    @Test
    void pushRequestRules() throws Exception {
        PushRequest p = PushRequest.parse(new StringReader("{\"userId\":\"u\",\"message\":\"m\",\"event\":\"\"}"));
        assertEquals("u", p.userId());
        assertNull(p.event(), "empty event means none");
        assertEquals("e", PushRequest.parse(new StringReader("{\"userId\":\"u\",\"message\":\"m\",\"event\":\"e\"}")).event());
        assertThrows(PushRequest.Invalid.class, () -> PushRequest.parse(new StringReader("{\"userId\":\"u\"}")));
        assertThrows(PushRequest.Invalid.class, () -> PushRequest.parse(new StringReader("{\"message\":\"m\"}")));
        assertThrows(PushRequest.Invalid.class, () -> PushRequest.parse(new StringReader("{\"userId\":\"\",\"message\":\"m\"}")));
    }

    @Test
    void registrationFrameRules() {
        assertEquals(new RegistrationFrame("t", "e"), RegistrationFrame.parse("{\"token\":\"t\",\"event\":\"e\"}"));
        assertEquals(new RegistrationFrame("t", null), RegistrationFrame.parse("{\"token\":\"t\"}"));
        assertEquals(new RegistrationFrame("t", null), RegistrationFrame.parse("{\"token\":\"t\",\"event\":\"\"}"));
        assertNull(RegistrationFrame.parse("{\"token\":\"\"}"));
        assertNull(RegistrationFrame.parse("{\"event\":\"e\"}"));
        assertNull(RegistrationFrame.parse("{\"token\":1}"));
        assertNull(RegistrationFrame.parse("token"));
        assertTrue(!new RegistrationFrame("secret-token", null).toString().contains("secret-token"));
    }

    @Test
    void registrationSinceIsReadForV1AndRefusedWhenMalformed() {
        assertEquals(new RegistrationFrame("t", null, new RegistrationFrame.Since(42, "ab")),
                RegistrationFrame.parse("{\"token\":\"t\",\"since\":{\"offset\":42,\"epoch\":\"ab\",\"x\":[1]}}", true));
        assertEquals(new RegistrationFrame("t", "e"), RegistrationFrame.parse("{\"token\":\"t\",\"event\":\"e\",\"since\":null}", true));
        assertEquals(new RegistrationFrame("t", null), RegistrationFrame.parse("{\"token\":\"t\",\"since\":\"x\"}", false),
                "plain clients: since is not read");
        for (String since : java.util.List.of("\"x\"", "{\"offset\":-1,\"epoch\":\"e\"}", "{\"offset\":1e3,\"epoch\":\"e\"}",
                "{\"offset\":99999999999999999999,\"epoch\":\"e\"}", "{\"epoch\":\"e\"}", "{\"offset\":1}",
                "{\"offset\":1,\"epoch\":null}", "{\"offset\":1,\"epoch\":\"" + "e".repeat(65) + "\"}", "[]")) {
            assertEquals(null, RegistrationFrame.parse("{\"token\":\"t\",\"since\":" + since + "}", true), since);
        }
    }
}
