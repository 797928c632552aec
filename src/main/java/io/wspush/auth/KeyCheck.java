package io.wspush.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Bearer-key check for pushers and operators, in constant time. */
public final class KeyCheck {

    private final byte[] expectedDigest;

    public KeyCheck(String key) {
        this.expectedDigest = sha256(key);
    }

    /** @param authorization the raw {@code Authorization} header, may be null */
    public boolean accepts(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        // Comparing digests keeps the time independent of both the content and the length of the key.
        return MessageDigest.isEqual(expectedDigest, sha256(authorization.substring(7).trim()));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
