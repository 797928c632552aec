package io.wspush.push;

import io.wspush.testing.Awaiting;
import io.wspush.testing.Http;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** POST /push from a pusher's side: every status the contract names, with JSON error bodies. */
class PushResourceIT {

    static final int MAX = 2048;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.builder().set("push.max-bytes", MAX).start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static void assertError(HttpResponse<String> r, int status, String messagePart) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers().toString());
        String message = Http.stringField(r.body(), "message");
        assertNotNull(message, r.body());
        assertNotNull(Http.stringField(r.body(), "error"), r.body());
        assertTrue(message.contains(messagePart), message);
    }

    @Test
    void deliversAndCounts() throws Exception {
        try (WsClient c = Awaiting.registered(server, "p1", Tokens.valid("p1"), null)) {
            HttpResponse<String> r = Http.push(server, "p1", "e", "hi");
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
            assertEquals(1, Http.intField(r, "delivered"));
            assertEquals("hi", c.next());
        }
    }

    @Test
    void pusherWithoutContentTypeStillWorks() {
        // wserver read the body whatever its type; existing pushers may send none or text/plain.
        HttpResponse<String> r = Http.send(HttpRequest.newBuilder(server.http("push"))
                .header("Authorization", "Bearer " + TestServer.PUSH_KEY).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{\"userId\":\"x\",\"message\":\"m\"}")).build());
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void missingKeyIs401() {
        assertError(Http.post(server.http("push"), null, Http.pushBody("u", null, "m")), 401, "key");
    }

    @Test
    void wrongKeyIs401() {
        HttpResponse<String> r = Http.post(server.http("push"), "wrong", Http.pushBody("u", null, "m"));
        assertError(r, 401, "key");
        assertEquals("Bearer", r.headers().firstValue("WWW-Authenticate").orElse(null));
        assertError(Http.post(server.http("push"), TestServer.PUSH_KEY + "x", Http.pushBody("u", null, "m")), 401, "key");
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET", "PUT", "DELETE", "PATCH"})
    void otherMethodsAre405(String method) {
        HttpResponse<String> r = Http.send(HttpRequest.newBuilder(server.http("push"))
                .header("Authorization", "Bearer " + TestServer.PUSH_KEY)
                .method(method, HttpRequest.BodyPublishers.ofString("{}")).build());
        assertError(r, 405, "not allowed");
        assertTrue(r.headers().firstValue("Allow").orElse("").contains("POST"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{bad", "", "[1,2", "\"text\"", "42", "null", "{\"userId\":\"u\",\"message\":\"m\"} trailing"})
    void malformedOrNonObjectBodyIs400(String body) {
        assertEquals(400, Http.post(server.http("push"), TestServer.PUSH_KEY, body).statusCode());
        assertError(Http.post(server.http("push"), TestServer.PUSH_KEY, body), 400, "");
    }

    @Test
    void missingOrEmptyFieldsAre400WithTheFieldNamed() {
        assertError(Http.post(server.http("push"), TestServer.PUSH_KEY, "{\"message\":\"m\"}"), 400, "userId");
        assertError(Http.post(server.http("push"), TestServer.PUSH_KEY, "{\"userId\":\"\",\"message\":\"m\"}"), 400, "userId");
        assertError(Http.post(server.http("push"), TestServer.PUSH_KEY, "{\"userId\":\"u\"}"), 400, "message");
        assertError(Http.post(server.http("push"), TestServer.PUSH_KEY, "{\"userId\":\"u\",\"message\":\"\"}"), 400, "message");
        assertError(Http.post(server.http("push"), TestServer.PUSH_KEY, "{\"userId\":7,\"message\":\"m\"}"), 400, "userId");
        assertError(Http.post(server.http("push"), TestServer.PUSH_KEY, "{\"userId\":\"u\",\"message\":{\"a\":1}}"), 400, "message");
        assertError(Http.post(server.http("push"), TestServer.PUSH_KEY, "{\"userId\":\"u\",\"message\":\"m\",\"event\":3}"), 400, "event");
    }

    @Test
    void unknownMembersAreIgnored() {
        assertEquals(200, Http.post(server.http("push"), TestServer.PUSH_KEY,
                "{\"userId\":\"u\",\"message\":\"m\",\"extra\":{\"x\":[1,{}]},\"n\":null}").statusCode());
    }

    @Test
    void bodyOverTheLimitIs413() {
        String big = Http.pushBody("u", null, "x".repeat(MAX));
        assertError(alone(HttpRequest.newBuilder(server.http("push"))
                .header("Authorization", "Bearer " + TestServer.PUSH_KEY)
                .POST(HttpRequest.BodyPublishers.ofString(big)).build()), 413, String.valueOf(MAX));
    }

    /**
     * Sends on a client of its own: after a 413 the server closes the connection without reading the rest of the
     * body, and a pooled connection closed that way could be handed to the next test's request ("received no bytes").
     */
    static HttpResponse<String> alone(HttpRequest request) {
        return Http.send(java.net.http.HttpClient.newHttpClient(), request);
    }

    @Test
    void chunkedBodyOverTheLimitIs413Too() {
        byte[] big = Http.pushBody("u", null, "x".repeat(MAX * 4)).getBytes();
        // ofInputStream has no length: the body goes chunked, so only counting can catch it.
        HttpResponse<String> r = alone(HttpRequest.newBuilder(server.http("push"))
                .header("Authorization", "Bearer " + TestServer.PUSH_KEY)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build());
        assertError(r, 413, String.valueOf(MAX));
    }

    @Test
    void bodyJustUnderTheLimitIsAccepted() {
        String body = Http.pushBody("u", null, "y");
        String padded = Http.pushBody("u", null, "y".repeat(MAX - body.length() + 1));
        assertEquals(MAX, padded.length());
        assertEquals(200, Http.post(server.http("push"), TestServer.PUSH_KEY, padded).statusCode());
    }

    @Test
    void staticFilesAreServedBesideThePushResource() {
        HttpResponse<String> index = Http.get(server.http(""), null);
        assertEquals(200, index.statusCode());
        assertTrue(index.body().contains("<html") || index.body().contains("<!doctype") || index.body().contains("<!DOCTYPE"),
                index.body());
        HttpResponse<String> script = Http.get(server.http("js/wspush-client.js"), null);
        assertEquals(200, script.statusCode());
        assertEquals("*", script.headers().firstValue("Access-Control-Allow-Origin").orElse(null), "importable from other origins");
        assertTrue(script.body().contains("export class WspushClient"), "the client module");
        assertEquals(404, Http.get(server.http("no-such-file.txt"), null).statusCode());
    }

    @Test
    void healthNeedsNoKeyButMetricsAndAdminDo() {
        assertEquals(200, Http.get(server.http("health"), null).statusCode());
        assertEquals(401, Http.get(server.http("metrics"), null).statusCode());
        assertEquals(401, Http.get(server.http("admin/users/x"), null).statusCode());
        assertEquals(401, Http.post(server.http("admin/disconnect"), "nope", "{\"userId\":\"x\"}").statusCode());
        HttpResponse<String> m = Http.get(server.http("metrics"), TestServer.PUSH_KEY);
        assertEquals(200, m.statusCode());
        assertTrue(m.body().contains("wspush_pushes_total"), m.body());
    }

    @Test
    void demoTokenEndpointDoesNotExistOutsideDemoMode() {
        assertEquals(404, Http.get(server.http("demo/token?userId=a"), null).statusCode());
    }

}
