package io.wspush.node;

import io.wspush.testing.Awaiting;
import io.wspush.testing.Http;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.V1;
import io.wspush.testing.WsClient;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tokens renewed on an open connection ({@code {"type":"refresh"}}) and expiry enforced on connections that do not
 * renew (4005), over real sockets against the real WAR. Tokens live 3 s; the clock skew is 1 s, so an unrefreshed
 * connection is closed between exp + 1 s and exp + 1 s + one sweep tick (at most 1 s).
 */
class TokenRefreshIT {

    static final long SKEW_MILLIS = 1000;
    static final Duration CLOSE_WAIT = Duration.ofSeconds(15);

    static TestServer server;     // default: expiry enforced on wspush.v1 connections
    static TestServer enforceAll; // wspush.token.enforce-expiry=all: plain connections too
    static TestServer lax;        // tokens without exp accepted, default clock skew (30 s)

    @BeforeAll
    static void start() {
        var all = CompletableFuture.supplyAsync(() -> TestServer.builder().set("token.clock-skew", "1")
                .set("token.enforce-expiry", "all").start());
        var noExp = CompletableFuture.supplyAsync(() -> TestServer.builder().set("token.require-exp", "false").start());
        try {
            server = TestServer.builder().set("token.clock-skew", "1").start();
        } finally {
            enforceAll = all.exceptionally(e -> null).join();
            lax = noExp.exceptionally(e -> null).join();
        }
        all.join();
        noExp.join();
    }

    @AfterAll
    static void stop() {
        for (TestServer s : new TestServer[] {server, enforceAll, lax}) {
            if (s != null) s.close();
        }
    }

    /** A token of {@code user} issued 5 s ago, expiring {@code expiresIn} from now (JWT times are whole seconds). */
    static String token(String user, Duration expiresIn) {
        return Tokens.token(TestServer.SECRET, user, Instant.now().minusSeconds(5), Instant.now().plus(expiresIn));
    }

    /** The token's exp as the server reads it: epoch seconds. */
    static long exp(String jwt) {
        String payload = new String(java.util.Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
        return V1.json(payload).getJsonNumber("exp").longValueExact();
    }

    static WsClient v1(TestServer s, String user, String token) throws InterruptedException {
        WsClient c = V1.connect(s.ws(), token, null, null, null);
        V1.registered(c);
        return c;
    }

    static String refresh(String token) {
        return "{\"type\":\"refresh\",\"token\":\"" + token + "\"}";
    }

    /** The next frame that is not a ping or pong. */
    static JsonObject nextEnvelope(WsClient c) throws InterruptedException {
        while (true) {
            String f = c.next(V1.WAIT);
            if (f == null) throw new AssertionError("no frame" + (c.isClosed() ? "; closed " + c.awaitClose() : ""));
            JsonObject o = V1.json(f);
            String type = o.getString("type", null);
            if (!"ping".equals(type) && !"pong".equals(type)) return o;
        }
    }

    @Test
    void aRefreshAnswersRefreshedAndTheConnectionOutlivesItsFirstToken() throws Exception {
        String shortLived = token("rf-alice", Duration.ofSeconds(3));
        try (WsClient refreshed = v1(server, "rf-alice", shortLived);
             WsClient notRefreshed = v1(server, "rf-alice", shortLived)) {
            String fresh = token("rf-alice", Duration.ofMinutes(10));
            refreshed.send(refresh(fresh));
            JsonObject answer = nextEnvelope(refreshed);
            assertEquals("refreshed", answer.getString("type"));
            assertEquals(exp(fresh), answer.getJsonNumber("exp").longValueExact());
            assertEquals(2, answer.size(), "type and exp only: " + answer);

            // The twin without a refresh is closed once the first token expired (the event to wait for) ...
            WsClient.Close close = notRefreshed.awaitClose(CLOSE_WAIT);
            assertEquals(new WsClient.Close(4005, "token expired"), close);
            // ... while the refreshed connection stays, and still gets its pushes (one connection left).
            assertFalse(refreshed.isClosed());
            assertEquals(1, Http.intField(Http.push(server, "rf-alice", null, "still here"), "delivered"));
            assertEquals("still here", V1.next(refreshed).message());
            // Refreshing again works too, on the same socket.
            String fresher = token("rf-alice", Duration.ofMinutes(20));
            refreshed.send(refresh(fresher));
            assertEquals(exp(fresher), nextEnvelope(refreshed).getJsonNumber("exp").longValueExact());
            assertTrue(counter("wspush_token_refreshes_total") >= 2);
        }
    }

    @Test
    void aV1ConnectionNotRefreshedIsClosedWith4005AfterExpPlusSkewAndNotBefore() throws Exception {
        String jwt = token("rf-bob", Duration.ofSeconds(3));
        long expMillis = exp(jwt) * 1000;
        double before = closes("4005");
        try (WsClient c = v1(server, "rf-bob", jwt)) {
            WsClient.Close close = c.awaitClose(CLOSE_WAIT);
            long closedAt = System.currentTimeMillis();
            assertEquals(new WsClient.Close(4005, "token expired"), close);
            assertTrue(closedAt >= expMillis + SKEW_MILLIS, "closed " + (expMillis + SKEW_MILLIS - closedAt)
                    + " ms before exp + skew");
            // One sweep tick is at most 1 s; the rest is slack for a loaded machine.
            assertTrue(closedAt <= expMillis + SKEW_MILLIS + 5000, "closed " + (closedAt - expMillis - SKEW_MILLIS)
                    + " ms after exp + skew");
        }
        Awaiting.userConnections(server, "rf-bob", 0);
        assertTrue(closes("4005") >= before + 1, "closes{reason=4005} counted");
    }

    @Test
    void anotherUsersTokenIsRefused() throws Exception {
        try (WsClient c = v1(server, "rf-carol", Tokens.valid("rf-carol"))) {
            c.send(refresh(Tokens.valid("rf-mallory")));
            assertEquals(new WsClient.Close(1008, "token names another user"), c.awaitClose());
        }
        Awaiting.userConnections(server, "rf-carol", 0);
    }

    @Test
    void invalidExpiredRevokedAndMalformedRefreshesCloseWith1008() throws Exception {
        String otherSecret = Tokens.token("another-secret-0123456789-abcdefghijklmnopqrstuvwxyz", "rf-dave",
                Instant.now().minusSeconds(5), Instant.now().plusSeconds(600));
        String expired = Tokens.token(TestServer.SECRET, "rf-dave", Instant.now().minusSeconds(600),
                Instant.now().minusSeconds(60));
        String[][] cases = {
                {refresh("not.a.jwt"), "invalid token"},
                {refresh(otherSecret), "invalid token"},
                {refresh(expired), "token expired"},
                {"{\"type\":\"refresh\"}", "malformed refresh frame"},
                {"{\"type\":\"refresh\",\"token\":42}", "malformed refresh frame"},
                {"{\"type\":\"refresh\",\"token\":\"\"}", "malformed refresh frame"},
        };
        for (String[] k : cases) {
            try (WsClient c = v1(server, "rf-dave", Tokens.valid("rf-dave"))) {
                c.send(k[0]);
                assertEquals(new WsClient.Close(1008, k[1]), c.awaitClose(), k[0]);
            }
        }

        // Revoked: the operator disconnected rf-erin at R; a connection registered with a token issued after R is
        // open, and a refresh with a token issued before R is refused.
        Instant beforeRevocation = Instant.now().minusSeconds(10);
        assertEquals(200, Http.post(server.http("admin/disconnect"), server.adminKey(), "{\"userId\":\"rf-erin\"}").statusCode());
        Instant afterRevocation = Instant.now().plusSeconds(1); // next whole second: newer than the revocation
        String newer = Tokens.token(TestServer.SECRET, "rf-erin", afterRevocation, Instant.now().plusSeconds(600));
        String older = Tokens.token(TestServer.SECRET, "rf-erin", beforeRevocation, Instant.now().plusSeconds(600));
        try (WsClient c = v1(server, "rf-erin", newer)) {
            c.send(refresh(older));
            assertEquals(new WsClient.Close(1008, "token revoked"), c.awaitClose());
        }
    }

    @Test
    void anOperatorDisconnectAfterARefreshComparesWithTheRefreshedToken() throws Exception {
        // On the server with a 30 s clock skew a token may be issued up to 30 s ahead: "issued after the disconnect"
        // without waiting for the clock. Both connections registered with a token from before the disconnect.
        Instant old = Instant.now().minusSeconds(30);
        Instant exp = Instant.now().plusSeconds(600);
        try (WsClient c = v1(lax, "rf-frank", Tokens.token(TestServer.SECRET, "rf-frank", old, exp))) {
            c.send(refresh(Tokens.token(TestServer.SECRET, "rf-frank", Instant.now().plusSeconds(20), exp)));
            assertEquals("refreshed", nextEnvelope(c).getString("type"));
            var r = Http.post(lax.http("admin/disconnect"), lax.adminKey(), "{\"userId\":\"rf-frank\"}");
            assertEquals(0, Http.intField(r, "disconnected"), "the refreshed token is newer than the disconnect");
            assertEquals(1, Http.intField(Http.push(lax, "rf-frank", null, "spared"), "delivered"));
            assertEquals("spared", V1.next(c).message());
        }
        try (WsClient c = v1(lax, "rf-gina", Tokens.token(TestServer.SECRET, "rf-gina", old, exp))) {
            // Refreshed with a token that is also older than the disconnect: the disconnect closes it.
            c.send(refresh(Tokens.token(TestServer.SECRET, "rf-gina", old.plusSeconds(5), exp)));
            assertEquals("refreshed", nextEnvelope(c).getString("type"));
            var r = Http.post(lax.http("admin/disconnect"), lax.adminKey(), "{\"userId\":\"rf-gina\"}");
            assertEquals(1, Http.intField(r, "disconnected"));
            assertEquals(4002, c.awaitClose().code());
        }
    }

    @Test
    void aRefreshFrameAsAV1ClientsFirstFrameIsNotARegistration() {
        WsClient c = WsClient.connect(server.ws(), "wspush.v1");
        try (c) {
            c.send(refresh(Tokens.valid("rf-hank")));
            assertEquals(new WsClient.Close(1008, "registration expected"), c.awaitClose());
        }
    }

    @Test
    void plainClientsIgnoreRefreshFramesAndKeepTheirConnectionPastExpByDefault() throws Exception {
        String jwt = token("rf-ivy", Duration.ofSeconds(3));
        try (WsClient plain = Awaiting.registered(server, "rf-ivy", jwt, null);
             WsClient v1 = v1(server, "rf-ivy", jwt)) {
            plain.send(refresh(Tokens.valid("rf-ivy")));
            plain.send(refresh(Tokens.valid("rf-mallory")));
            // The v1 twin with the same token is closed after exp + skew: by then the plain one would have been too.
            assertEquals(4005, v1.awaitClose(CLOSE_WAIT).code());
            assertFalse(plain.isClosed());
            assertEquals(1, Http.intField(Http.push(server, "rf-ivy", null, "plain still here"), "delivered"));
            assertEquals("plain still here", plain.next());
            assertNull(plain.next(Duration.ofMillis(300)), "no refreshed envelope or other frame for a plain client");
        }
    }

    @Test
    void withEnforceExpiryAllPlainClientsAreClosedWith4005Too() {
        String jwt = token("rf-jack", Duration.ofSeconds(3));
        long expMillis = exp(jwt) * 1000;
        try (WsClient plain = Awaiting.registered(enforceAll, "rf-jack", jwt, null)) {
            assertEquals(new WsClient.Close(4005, "token expired"), plain.awaitClose(CLOSE_WAIT));
            assertTrue(System.currentTimeMillis() >= expMillis + SKEW_MILLIS);
        }
    }

    @Test
    void aTokenWithoutExpRefreshesToExpNullWhenAllowed() throws Exception {
        try (WsClient c = v1(lax, "rf-kim", Tokens.valid("rf-kim"))) {
            c.send(refresh(Tokens.token(TestServer.SECRET, "rf-kim", Instant.now().minusSeconds(5), null)));
            JsonObject answer = nextEnvelope(c);
            assertEquals("refreshed", answer.getString("type"));
            assertTrue(answer.containsKey("exp") && answer.isNull("exp"), answer.toString());
        }
    }

    static double counter(String name) {
        String metrics = Http.get(server.http("metrics"), TestServer.PUSH_KEY).body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " ([0-9.E+-]+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    static double closes(String reason) {
        String metrics = Http.get(server.http("metrics"), TestServer.PUSH_KEY).body();
        Matcher m = Pattern.compile("(?m)^wspush_closes_total\\{[^}]*reason=\"" + reason + "\"[^}]*} ([0-9.E+-]+)$")
                .matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
