package io.wspush.config;

import java.util.Locale;

/**
 * Which open connections are closed (4005 {@code token expired}) once their token's {@code exp} plus the clock skew
 * has passed without a refresh: {@code wspush.token.enforce-expiry}. Registration always checks {@code exp}.
 */
public enum ExpiryEnforcement {
    /** Only at registration, as wserver did: a connection outlives its token. */
    NONE,
    /** {@code wspush.v1} connections (they can refresh in place); plain wserver clients as before. The default. */
    V1,
    /** Every connection, plain wserver clients too (they cannot refresh, so they reconnect with a new token). */
    ALL;

    static ExpiryEnforcement parse(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "none" -> NONE;
            case "v1" -> V1;
            case "all" -> ALL;
            default -> throw new IllegalStateException("wspush.token.enforce-expiry must be 'v1', 'all' or 'none', got '"
                    + value + "'");
        };
    }

    /** Whether a connection of this kind ({@code wspush.v1} or plain) is closed when its token expires. */
    public boolean covers(boolean v1) {
        return this == ALL || (this == V1 && v1);
    }
}
