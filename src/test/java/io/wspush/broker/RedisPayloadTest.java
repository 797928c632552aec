package io.wspush.broker;

import io.wspush.protocol.Delivery;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RedisPayloadTest {

    @Test
    void pushRoundTripsEveryField() {
        Delivery d = new Delivery("alice", "news", "hello", 1732700000123L);
        RedisPayload p = RedisPayload.decode(RedisPayload.push("node-a#01", d).encode());
        assertEquals(new RedisPayload(RedisPayload.Kind.PUSH, "node-a#01", "alice", "news", "hello", 1732700000123L), p);
        Delivery back = p.delivery();
        assertEquals("alice", back.userId);
        assertEquals("news", back.event);
        assertEquals("hello", back.message);
        assertEquals(1732700000123L, back.acceptedAtMillis);
        assertEquals(d.envelope(), back.envelope());
    }

    @Test
    void broadcastRoundTripsWithoutAUser() {
        String text = RedisPayload.broadcast("node-a#01", new Delivery(null, "news", "to all", 5)).encode();
        assertEquals("{\"v\":1,\"k\":\"broadcast\",\"o\":\"node-a#01\",\"e\":\"news\",\"m\":\"to all\",\"t\":5}", text);
        RedisPayload p = RedisPayload.decode(text);
        assertEquals(new RedisPayload(RedisPayload.Kind.BROADCAST, "node-a#01", null, "news", "to all", 5), p);
        assertNull(RedisPayload.decode(RedisPayload.broadcast("o", new Delivery(null, null, "m", 1)).encode()).event());
        assertThrows(IllegalArgumentException.class,
                () -> RedisPayload.decode("{\"v\":1,\"k\":\"broadcast\",\"o\":\"o\",\"t\":1}"));
    }

    @Test
    void pushWithoutEventStaysWithoutEvent() {
        RedisPayload p = RedisPayload.decode(RedisPayload.push("o", new Delivery("bob", null, "m", 1)).encode());
        assertNull(p.event());
        assertNull(RedisPayload.decode("{\"v\":1,\"k\":\"push\",\"o\":\"o\",\"u\":\"bob\",\"m\":\"m\",\"t\":1}").event());
        assertNull(RedisPayload.decode("{\"v\":1,\"k\":\"push\",\"o\":\"o\",\"u\":\"bob\",\"e\":\"\",\"m\":\"m\",\"t\":1}").event());
    }

    @Test
    void awkwardTextSurvives() {
        String message = "quotes \" backslash \\ newline \n tab \t nul \u0000 emoji \uD83D\uDE00 json {\"a\":[1]} "
                + "x".repeat(100_000);
        String user = "user {with} braces: and \"quotes\" \u00e9";
        RedisPayload p = RedisPayload.decode(RedisPayload.push("o", new Delivery(user, "ev\u00e9nt", message, 7)).encode());
        assertEquals(user, p.userId());
        assertEquals("ev\u00e9nt", p.event());
        assertEquals(message, p.message());
    }

    @Test
    void disconnectRoundTrips() {
        String text = RedisPayload.disconnect("node-b#02", "carol", 1732700000999L).encode();
        assertEquals("{\"v\":1,\"k\":\"disconnect\",\"o\":\"node-b#02\",\"u\":\"carol\",\"t\":1732700000999}", text);
        assertEquals(new RedisPayload(RedisPayload.Kind.DISCONNECT, "node-b#02", "carol", null, null, 1732700000999L),
                RedisPayload.decode(text));
    }

    @Test
    void pushIsCompact() {
        assertEquals("{\"v\":1,\"k\":\"push\",\"o\":\"n#1\",\"u\":\"u\",\"e\":null,\"m\":\"hi\",\"t\":5}",
                RedisPayload.push("n#1", new Delivery("u", null, "hi", 5)).encode());
    }

    @Test
    void unknownMembersAreSkipped() {
        RedisPayload p = RedisPayload.decode("{\"v\":1,\"later\":{\"x\":[1,{\"y\":2}]},\"k\":\"push\",\"o\":\"o\","
                + "\"u\":\"u\",\"m\":\"m\",\"t\":3,\"more\":[true,null],\"n\":1.5}");
        assertEquals("m", p.message());
        assertEquals(3, p.at());
    }

    @Test
    void refusesWhatItDoesNotUnderstand() {
        for (String bad : new String[] {
                null, "", "nope", "[]", "{", "{\"v\":1,\"k\":\"push\",\"o\":\"o\",\"u\":\"u\",\"m\":\"m\",\"t\":1} trailing",
                "{\"k\":\"push\",\"o\":\"o\",\"u\":\"u\",\"m\":\"m\",\"t\":1}",               // no version
                "{\"v\":2,\"k\":\"push\",\"o\":\"o\",\"u\":\"u\",\"m\":\"m\",\"t\":1}",       // future version
                "{\"v\":1,\"k\":\"shout\",\"o\":\"o\",\"u\":\"u\",\"m\":\"m\",\"t\":1}",      // unknown kind
                "{\"v\":1,\"k\":\"push\",\"u\":\"u\",\"m\":\"m\",\"t\":1}",                   // no origin
                "{\"v\":1,\"k\":\"push\",\"o\":\"o\",\"m\":\"m\",\"t\":1}",                   // no user
                "{\"v\":1,\"k\":\"push\",\"o\":\"o\",\"u\":\"u\",\"t\":1}",                   // no message
                "{\"v\":1,\"k\":\"push\",\"o\":\"o\",\"u\":\"u\",\"m\":\"m\"}",               // no time
                "{\"v\":1,\"k\":\"push\",\"o\":\"o\",\"u\":7,\"m\":\"m\",\"t\":1}",           // user not a string
                "{\"v\":1,\"k\":\"push\",\"o\":\"o\",\"u\":\"u\",\"m\":\"m\",\"t\":1.5}",     // time not integral
                "{\"v\":1,\"k\":\"push\",\"o\":\"o\",\"u\":\"u\",\"m\":\"m\",\"t\":\"1\"}",   // time a string
        }) {
            assertThrows(IllegalArgumentException.class, () -> RedisPayload.decode(bad), String.valueOf(bad));
        }
    }

    @Test
    void userChannelIsAClusterHashTag() {
        assertEquals("wspush:u:{alice}", RedisBroker.userChannel("alice"));
    }

    @Test
    void aPushCarriesItsHistoryPositionAndTheScriptsSplicingDecodes() {
        Delivery d = new Delivery("alice", "news", "he said \"hi\"", 7L, 42, "0123456789abcdef");
        RedisPayload p = RedisPayload.decode(RedisPayload.push("o", d).encode());
        assertEquals(42, p.delivery().offset);
        assertEquals("0123456789abcdef", p.delivery().epoch);
        // What the Lua script publishes: the payload without position, closed with ,"offset":..,"epoch":"..."}.
        String open = RedisPayload.push("o", new Delivery("alice", "news", "he said \"hi\"", 7L)).encodeOpen();
        RedisPayload spliced = RedisPayload.decode(RedisPayload.close(open, 42, "0123456789abcdef"));
        assertEquals(p, spliced);
        assertEquals(0, RedisPayload.decode(RedisPayload.push("o", new Delivery("a", null, "m", 1)).encode()).offset());
    }

    @Test
    void aPushWaitingForReceiptsCarriesItsWaitIdAndOthersStayAsTheyWere() {
        Delivery d = new Delivery("alice", null, "m", 7L).withReceipt(new io.wspush.protocol.ReceiptTag(null, 12));
        String open = RedisPayload.push("node-a#01", d).encodeOpen();
        RedisPayload p = RedisPayload.decode(RedisPayload.close(open, 5, "0123456789abcdef"));
        assertEquals(12, p.receipt());
        // The receiving node learns whom to report to: the origin of the payload.
        assertEquals(new io.wspush.protocol.ReceiptTag("node-a#01", 12), p.delivery().receipt);
        assertEquals(5, p.delivery().offset);
        // Without receipts the payload is byte for byte what it was (older nodes read both).
        String plain = RedisPayload.push("o", new Delivery("a", null, "m", 1)).encode();
        assertEquals("{\"v\":1,\"k\":\"push\",\"o\":\"o\",\"u\":\"a\",\"e\":null,\"m\":\"m\",\"t\":1}", plain);
        assertNull(RedisPayload.decode(plain).delivery().receipt);
    }
}
