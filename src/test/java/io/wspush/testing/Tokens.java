package io.wspush.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/** Mints test tokens the way a product backend would. */
public final class Tokens {

    private Tokens() {
    }

    public static String valid(String userId) {
        return token(TestServer.SECRET, userId, Instant.now().minusSeconds(5), Instant.now().plus(Duration.ofHours(1)));
    }

    public static String token(String secret, String userId, Instant issuedAt, Instant expiresAt) {
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject(userId);
        if (issuedAt != null) claims.issueTime(Date.from(issuedAt));
        if (expiresAt != null) claims.expirationTime(Date.from(expiresAt));
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
        try {
            jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }
}
