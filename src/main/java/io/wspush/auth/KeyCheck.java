package io.wspush.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Bearer-key check for pushers and operators, in constant time. */
public final class KeyCheck {

    private final byte[][] expectedDigests;

    /** @param keys the accepted keys: the current one, and during a rotation the previous one (nulls ignored) */
    public KeyCheck(String... keys) {
        this.expectedDigests = java.util.Arrays.stream(keys).filter(java.util.Objects::nonNull)
                .map(KeyCheck::sha256).toArray(byte[][]::new);
    }

    /** @param authorization the raw {@code Authorization} header, may be null */
    public boolean accepts(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        // Comparing digests keeps the time independent of both the content and the length of the key.
        byte[] given = sha256(authorization.substring(7).trim());
        boolean ok = false;
        for (byte[] expected : expectedDigests) ok |= MessageDigest.isEqual(expected, given);
        return ok;
    }

    /** Looking a digest up by name is a provider search per call; cloning a prototype is not. */
    private static final MessageDigest SHA256;

    static {
        try {
            SHA256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha256(String s) {
        MessageDigest d;
        try {
            d = (MessageDigest) SHA256.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
        return d.digest(s.getBytes(StandardCharsets.UTF_8));
    }
}
