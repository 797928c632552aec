package io.wspush.auth;

/** A refused token. The message is safe to send to the client and to log: it never contains the token. */
public final class TokenException extends Exception {

    public enum Kind {
        INVALID("invalid token"), EXPIRED("token expired"), REVOKED("token revoked"),
        NO_EXPIRY("token without exp"), ISSUED_IN_FUTURE("token issued in the future");

        public final String reason;

        Kind(String reason) {
            this.reason = reason;
        }
    }

    private final Kind kind;

    public TokenException(Kind kind) {
        super(kind.reason, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
