package io.wspush.rest;

import io.wspush.testing.RawHttp;
import io.wspush.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Errors answered before the request body arrived say {@code Connection: close} and the connection ends (Jetty closed
 * it without saying so, and a keep-alive client's next request on it found the socket closed: "header parser received
 * no bytes"); a push whose body was read keeps its connection. A raw socket sends the head and holds the body back,
 * as a client whose body is still on its way. A 413 for too many items comes after the whole body was read and keeps
 * the connection.
 */
class UnreadBodyCloseIT {

    static final int MAX_BYTES = 4096;

    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.builder().set("push.max-bytes", MAX_BYTES).set("push.max-items", 2).start();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void aMethodNotAllowedBeforeTheBodyClosesWithConnectionClose() throws IOException {
        assertToldAndClosed(RawHttp.headOnly(server.http("push"), "PUT", TestServer.PUSH_KEY, 2, true), 405);
    }

    @Test
    void aWrongKeyBeforeTheBodyClosesWithConnectionClose() throws IOException {
        assertToldAndClosed(RawHttp.headOnly(server.http("push"), "POST", "wrong", 2, true), 401);
    }

    @Test
    void aBodyOverTheLimitClosesWithConnectionClose() throws IOException {
        RawHttp.Answer a = RawHttp.headOnly(server.http("push"), "POST", TestServer.PUSH_KEY, MAX_BYTES + 1, true);
        assertTrue(a.body().contains("\"payload_too_large\""), a.body());
        assertToldAndClosed(a, 413);
    }

    @Test
    void aPushWhoseBodyWasReadKeepsItsConnection() throws IOException {
        assertKeptForTwo("{\"userId\":\"nobody-here\",\"message\":\"m\"}", 200, "\"delivered\":0");
    }

    @Test
    void tooManyItemsAfterTheBodyWasReadKeepsTheConnection() throws IOException {
        assertKeptForTwo("{\"userIds\":[\"a\",\"b\",\"c\"],\"message\":\"m\"}", 413, "\"too_many_items\"");
    }

    /** Sends the same whole request twice on one connection: both answered, neither says close. */
    static void assertKeptForTwo(String body, int status, String answerHas) throws IOException {
        try (Socket s = RawHttp.open(server.http("push"))) {
            for (int i = 1; i <= 2; i++) {
                String request = RawHttp.head(server.http("push"), "POST", TestServer.PUSH_KEY, body.length()) + body;
                s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
                RawHttp.Answer a = RawHttp.read(s.getInputStream());
                assertEquals(status, a.status(), "request #" + i + " on the same connection: " + a.head() + a.body());
                assertTrue(a.body().contains(answerHas), a.body());
                assertFalse(a.says("Connection", "close"), a.head());
            }
        }
    }

    static void assertToldAndClosed(RawHttp.Answer a, int status) {
        assertEquals(status, a.status(), a.head() + a.body());
        assertTrue(a.says("Connection", "close"), a.head());
        assertTrue(a.closedAfter(), "the server closed the connection after the answer");
    }
}
