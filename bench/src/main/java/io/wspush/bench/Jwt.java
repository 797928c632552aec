package io.wspush.bench;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;

/** Mints HS256 JWTs ({@code sub}, {@code iat}, {@code exp}) the way a wspush deployment's backend would. */
final class Jwt {

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final String HEADER = B64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));

    private final Mac mac;

    Jwt(byte[] secret) {
        try {
            mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Not thread-safe (one Mac); the tool mints all tokens up front on one thread. */
    String mint(String userId, long ttlSeconds) {
        long now = System.currentTimeMillis() / 1000;
        String payload = "{\"sub\":" + LoadTool.jsonString(userId) + ",\"iat\":" + now + ",\"exp\":" + (now + ttlSeconds) + "}";
        String signingInput = HEADER + "." + B64.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
        byte[] sig = mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + B64.encodeToString(sig);
    }
}
