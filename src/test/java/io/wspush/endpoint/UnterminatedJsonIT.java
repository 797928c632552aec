package io.wspush.endpoint;

import io.wspush.testing.Awaiting;
import io.wspush.testing.Http;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.V1;
import io.wspush.testing.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * JSON that opens an array or object and never closes it, from anyone: JSON-P's skipArray/skipObject looped
 * forever on it (eclipse-ee4j/parsson#23), so each such frame or push body held a container thread at full CPU for
 * good. Now each is refused at once and the node keeps serving.
 */
class UnterminatedJsonIT {

    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void unterminatedRegistrationFramesAreRefusedAndTheNodeKeepsServing() throws Exception {
        List<WsClient> hostile = new ArrayList<>();
        try {
            // More than a small container pool has threads: before, every one of them was lost.
            for (int i = 0; i < 40; i++) {
                WsClient c = WsClient.connect(server.ws(), i % 2 == 0 ? new String[0] : new String[] {"wspush.v1"});
                c.send(i % 4 < 2 ? "{\"token\":\"" + Tokens.valid("uj-" + i) + "\",\"x\":[" : "{\"x\":{\"a\":[1,");
                hostile.add(c);
            }
            for (WsClient c : hostile) assertEquals(new WsClient.Close(1008, "registration expected"), c.awaitClose());
        } finally {
            hostile.forEach(WsClient::close);
        }
        // A resuming v1 registration whose since never ends.
        try (WsClient c = WsClient.connect(server.ws(), "wspush.v1")) {
            c.send("{\"token\":\"" + Tokens.valid("uj-since") + "\",\"since\":{\"offset\":1,\"epoch\":\"e\",\"x\":[");
            assertEquals(new WsClient.Close(1008, "registration expected"), c.awaitClose());
        }
        try (WsClient ok = Awaiting.registered(server, "uj-ok", Tokens.valid("uj-ok"), null)) {
            assertEquals(1, Http.intField(Http.push(server, "uj-ok", null, "still serving"), "delivered"));
            assertEquals("still serving", ok.next());
        }
    }

    @Test
    void anUnterminatedFrameAfterRegistrationIsIgnoredAndTheConnectionStaysResponsive() throws Exception {
        try (WsClient c = V1.connect(server.ws(), Tokens.valid("uj-v1"), null, null, null)) {
            V1.registered(c);
            c.send("{\"type\":\"refresh\",\"x\":[");
            c.send("{\"type\":\"ping\"}");
            // The container hands a session's frames over one after the other: the pong proves the first returned.
            String f;
            do {
                f = c.next();
            } while (f != null && f.equals("{\"type\":\"ping\"}"));
            assertEquals("{\"type\":\"pong\"}", f);
        }
    }

    @Test
    void anUnterminatedPushBodyIsABadRequest() {
        var r = Http.post(server.http("push"), server.pushKey(), "{\"userId\":\"uj\",\"message\":\"m\",\"x\":[");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("bad_request", Http.stringField(r.body(), "error"));
    }

    @Test
    void unterminatedBatchReceiptAndPresenceBodiesAreBadRequests() throws Exception {
        // Every reader of a body that skips members it does not know: arrays and multicasts (PushBatch), pushes that
        // wait for receipts (ReceiptPush) and presence lookups. More bodies than a small pool has threads.
        String[] pushes = {"[[", "[{\"userId\":\"uj\",\"message\":\"m\"},[1,", "{\"userIds\":[\"a\"],\"message\":\"m\",\"x\":[",
                "{\"userIds\":[\"a\"],\"message\":\"m\",\"x\":{\"y\":[", "{\"userId\":\"uj\",\"message\":\"m\",\"receipts\":{\"wait\":1},\"x\":["};
        for (int round = 0; round < 8; round++) {
            for (String body : pushes) {
                var r = Http.post(server.http("push"), server.pushKey(), body);
                assertEquals(400, r.statusCode(), body + " -> " + r.body());
                assertEquals("bad_request", Http.stringField(r.body(), "error"), body);
            }
            var r = Http.post(server.http("presence"), server.pushKey(), "{\"userIds\":[\"a\"],\"x\":[[");
            assertEquals(400, r.statusCode(), r.body());
        }
        try (WsClient ok = Awaiting.registered(server, "uj-after", Tokens.valid("uj-after"), null)) {
            assertEquals(1, Http.intField(Http.push(server, "uj-after", null, "still serving"), "delivered"));
            assertEquals("still serving", ok.next());
        }
    }
}
