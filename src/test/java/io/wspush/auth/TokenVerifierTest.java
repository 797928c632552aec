package io.wspush.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TokenVerifierTest {

    static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");
    static final Instant LATER = NOW.plusSeconds(600);
    final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    final Revocations revocations = new Revocations(Duration.ofDays(1), clock);
    final TokenVerifier verifier = new TokenVerifier(SECRET, Duration.ofSeconds(30), revocations, clock);

    static String sign(byte[] secret, JWSAlgorithm alg, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(alg), claims);
        jwt.sign(new MACSigner(secret));
        return jwt.serialize();
    }

    static JWTClaimsSet claims(String sub, Instant iat, Instant exp) {
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder().subject(sub);
        if (iat != null) b.issueTime(Date.from(iat));
        if (exp != null) b.expirationTime(Date.from(exp));
        return b.build();
    }

    TokenException.Kind refusal(String token) {
        return assertThrows(TokenException.class, () -> verifier.verify(token)).kind();
    }

    @Test
    void validTokenGivesTheSubject() throws Exception {
        var id = verifier.verify(sign(SECRET, JWSAlgorithm.HS256, claims("alice", NOW, NOW.plusSeconds(60))));
        assertEquals("alice", id.userId());
        assertEquals(NOW.plusSeconds(60), id.expiresAt());
    }

    @Test
    void tokenWithoutExpiryIsRefusedByDefault() throws Exception {
        assertEquals(TokenException.Kind.NO_EXPIRY, refusal(sign(SECRET, JWSAlgorithm.HS256, claims("bob", NOW, null))));
        assertEquals(TokenException.Kind.NO_EXPIRY, refusal(sign(SECRET, JWSAlgorithm.HS256, claims("bob", null, null))));
    }

    @Test
    void tokenWithoutExpiryIsAcceptedWhenAllowed() throws Exception {
        TokenVerifier lenient = new TokenVerifier(SECRET, null, Duration.ofSeconds(30), revocations, clock, false);
        var id = lenient.verify(sign(SECRET, JWSAlgorithm.HS256, claims("bob", NOW, null)));
        assertEquals("bob", id.userId());
        assertEquals(null, id.expiresAt());
        assertEquals(NOW, id.issuedAt());
    }

    @Test
    void issuedInTheFutureBeyondTheSkewIsRefused() throws Exception {
        // Within the 30 s skew: a backend clock slightly ahead is fine.
        var id = verifier.verify(sign(SECRET, JWSAlgorithm.HS256, claims("a", NOW.plusSeconds(30), LATER)));
        assertEquals(NOW.plusSeconds(30), id.issuedAt());
        assertEquals(TokenException.Kind.ISSUED_IN_FUTURE,
                refusal(sign(SECRET, JWSAlgorithm.HS256, claims("a", NOW.plusSeconds(31), LATER))));
        assertEquals(TokenException.Kind.ISSUED_IN_FUTURE,
                refusal(sign(SECRET, JWSAlgorithm.HS256, claims("a", NOW.plusSeconds(86_400), LATER))));
    }

    @Test
    void identityCarriesTheIssueTime() throws Exception {
        assertEquals(NOW.minusSeconds(5), verifier.verify(sign(SECRET, JWSAlgorithm.HS256,
                claims("a", NOW.minusSeconds(5), LATER))).issuedAt());
        assertEquals(null, verifier.verify(sign(SECRET, JWSAlgorithm.HS256, claims("a", null, LATER))).issuedAt());
    }

    @Test
    void expiryHonoursTheClockSkew() throws Exception {
        assertEquals("a", verifier.verify(sign(SECRET, JWSAlgorithm.HS256, claims("a", null, NOW.minusSeconds(29)))).userId());
        assertEquals(TokenException.Kind.EXPIRED, refusal(sign(SECRET, JWSAlgorithm.HS256, claims("a", null, NOW.minusSeconds(31)))));
    }

    @Test
    void notBeforeInTheFutureIsRefused() throws Exception {
        JWTClaimsSet c = new JWTClaimsSet.Builder().subject("a").expirationTime(Date.from(LATER))
                .notBeforeTime(Date.from(NOW.plusSeconds(120))).build();
        assertEquals(TokenException.Kind.INVALID, refusal(sign(SECRET, JWSAlgorithm.HS256, c)));
    }

    @Test
    void wrongSecretOtherAlgorithmAndGarbageAreInvalid() throws Exception {
        byte[] other = "ffffffffffffffffffffffffffffffff".getBytes(StandardCharsets.UTF_8);
        assertEquals(TokenException.Kind.INVALID, refusal(sign(other, JWSAlgorithm.HS256, claims("a", NOW, null))));
        byte[] longSecret = (new String(SECRET, StandardCharsets.UTF_8) + new String(SECRET, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        assertEquals(TokenException.Kind.INVALID, refusal(sign(longSecret, JWSAlgorithm.HS512, claims("a", NOW, null))));
        assertEquals(TokenException.Kind.INVALID, refusal("garbage"));
        assertEquals(TokenException.Kind.INVALID, refusal(""));
        assertEquals(TokenException.Kind.INVALID, refusal(null));
        assertEquals(TokenException.Kind.INVALID, refusal("x".repeat(10_000)));
    }

    @Test
    void unsignedAlgNoneIsInvalid() {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String none = b64.encodeToString("{\"alg\":\"none\"}".getBytes()) + "." + b64.encodeToString("{\"sub\":\"a\"}".getBytes()) + ".";
        assertEquals(TokenException.Kind.INVALID, refusal(none));
    }

    @Test
    void missingOrEmptySubjectIsInvalid() throws Exception {
        assertEquals(TokenException.Kind.INVALID, refusal(sign(SECRET, JWSAlgorithm.HS256, claims(null, NOW, null))));
        assertEquals(TokenException.Kind.INVALID, refusal(sign(SECRET, JWSAlgorithm.HS256, claims("", NOW, null))));
    }

    @Test
    void revokedUserTokensIssuedUpToTheRevocationAreRefused() throws Exception {
        revocations.revoke("carol", NOW);
        assertEquals(TokenException.Kind.REVOKED, refusal(sign(SECRET, JWSAlgorithm.HS256, claims("carol", NOW.minusSeconds(10), LATER))));
        assertEquals(TokenException.Kind.REVOKED, refusal(sign(SECRET, JWSAlgorithm.HS256, claims("carol", NOW, LATER))));
        assertEquals(TokenException.Kind.REVOKED, refusal(sign(SECRET, JWSAlgorithm.HS256, claims("carol", null, LATER))));
        assertEquals("carol", verifier.verify(sign(SECRET, JWSAlgorithm.HS256, claims("carol", NOW.plusSeconds(1), LATER))).userId());
        assertEquals("dave", verifier.verify(sign(SECRET, JWSAlgorithm.HS256, claims("dave", NOW.minusSeconds(10), LATER))).userId());
    }

    @Test
    void previousSecretIsAcceptedDuringARotation() throws Exception {
        byte[] next = "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn".getBytes(StandardCharsets.UTF_8);
        TokenVerifier rotating = new TokenVerifier(next, SECRET, Duration.ZERO, revocations, clock);
        assertEquals("old", rotating.verify(sign(SECRET, JWSAlgorithm.HS256, claims("old", NOW, LATER))).userId());
        assertEquals("new", rotating.verify(sign(next, JWSAlgorithm.HS256, claims("new", NOW, LATER))).userId());
        byte[] other = "oooooooooooooooooooooooooooooooooooooooo".getBytes(StandardCharsets.UTF_8);
        assertThrows(TokenException.class, () -> rotating.verify(sign(other, JWSAlgorithm.HS256, claims("x", NOW, LATER))));
        // New tokens are signed with the new secret only.
        assertEquals("n", new TokenVerifier(next, Duration.ZERO, revocations, clock)
                .verify(rotating.issue("n", Duration.ofMinutes(1))).userId());
    }

    @Test
    void issuedDemoTokensVerify() throws Exception {
        assertEquals("eve", verifier.verify(verifier.issue("eve", Duration.ofMinutes(5))).userId());
    }

    @Test
    void revocationsExpire() {
        revocations.revoke("old", NOW.minus(Duration.ofDays(2)));
        revocations.revoke("new", NOW);
        revocations.expireOld();
        assertEquals(1, revocations.size());
    }
}
