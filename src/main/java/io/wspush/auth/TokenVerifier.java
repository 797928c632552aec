package io.wspush.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/** Checks browser tokens: JWT, HS256 only, signed with the configured secret, {@code sub} = userId. */
public final class TokenVerifier {

    /** Longest token accepted; a JWT with a few claims is far smaller. */
    static final int MAX_TOKEN_CHARS = 4096;

    private final MACVerifier[] verifiers;
    private final MACSigner signer;
    private final Duration skew;
    private final Revocations revocations;
    private final Clock clock;
    private final boolean requireExp;

    public TokenVerifier(byte[] secret, Duration skew, Revocations revocations, Clock clock) {
        this(secret, null, skew, revocations, clock, true);
    }

    public TokenVerifier(byte[] secret, byte[] previousSecret, Duration skew, Revocations revocations, Clock clock) {
        this(secret, previousSecret, skew, revocations, clock, true);
    }

    /**
     * @param previousSecret also accepted while a secret rotation is under way (may be null)
     * @param requireExp     refuse tokens without {@code exp} ({@code wspush.token.require-exp}): a token that never
     *                       expires outlives any revocation
     */
    public TokenVerifier(byte[] secret, byte[] previousSecret, Duration skew, Revocations revocations, Clock clock,
                         boolean requireExp) {
        try {
            this.verifiers = previousSecret == null ? new MACVerifier[] {new MACVerifier(secret)}
                    : new MACVerifier[] {new MACVerifier(secret), new MACVerifier(previousSecret)};
            this.signer = new MACSigner(secret);
        } catch (JOSEException e) {
            throw new IllegalStateException("token secret rejected: " + e.getMessage());
        }
        this.skew = skew;
        this.revocations = revocations;
        this.clock = clock;
        this.requireExp = requireExp;
    }

    public Identity verify(String token) throws TokenException {
        if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_CHARS) {
            throw new TokenException(TokenException.Kind.INVALID);
        }
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(token);
            // Only HS256: never "none", never an algorithm picked by the token itself beyond this one.
            if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm()) || !signedByUs(jwt)) {
                throw new TokenException(TokenException.Kind.INVALID);
            }
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException | JOSEException | IllegalStateException e) {
            throw new TokenException(TokenException.Kind.INVALID);
        }
        String sub = claims.getSubject();
        if (sub == null || sub.isEmpty()) {
            throw new TokenException(TokenException.Kind.INVALID);
        }
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        if (exp == null && requireExp) {
            throw new TokenException(TokenException.Kind.NO_EXPIRY);
        }
        if (exp != null && now.minus(skew).isAfter(exp.toInstant())) {
            throw new TokenException(TokenException.Kind.EXPIRED);
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && now.plus(skew).isBefore(nbf.toInstant())) {
            throw new TokenException(TokenException.Kind.INVALID);
        }
        Date iat = claims.getIssueTime();
        // A token "issued" later than now could outlive a revocation made between now and its iat.
        if (iat != null && now.plus(skew).isBefore(iat.toInstant())) {
            throw new TokenException(TokenException.Kind.ISSUED_IN_FUTURE);
        }
        Identity id = new Identity(sub, exp == null ? null : exp.toInstant(), iat == null ? null : iat.toInstant());
        if (isRevoked(id)) {
            throw new TokenException(TokenException.Kind.REVOKED);
        }
        return id;
    }

    /** Whether the user was revoked after this token was issued (checked again once a connection is registered). */
    public boolean isRevoked(Identity id) {
        return revocations.isRevoked(id.userId(), id.issuedAt());
    }

    private boolean signedByUs(SignedJWT jwt) throws JOSEException {
        for (MACVerifier v : verifiers) {
            if (jwt.verify(v)) return true;
        }
        return false;
    }

    /** Mints a token (demo mode only: a real deployment's backend issues tokens). */
    public String issue(String userId, Duration ttl) {
        Instant now = clock.instant();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .subject(userId)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(ttl)))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }

    /** @param issuedAt the token's {@code iat}, null when it has none (then it counts as older than any revocation) */
    public record Identity(String userId, Instant expiresAt, Instant issuedAt) {
    }
}
