package io.wspush.protocol;

import jakarta.websocket.CloseReason;
import jakarta.websocket.CloseReason.CloseCode;
import jakarta.websocket.CloseReason.CloseCodes;

/** Every close code wspush sends, with its reason, in one place (docs/PROTOCOL.md lists them for client authors). */
public final class Disconnect {

    public static final CloseReason NORMAL = of(CloseCodes.NORMAL_CLOSURE, "normal closure");
    public static final CloseReason SHUTDOWN = of(CloseCodes.GOING_AWAY, "server shutting down");
    public static final CloseReason BINARY = of(CloseCodes.CANNOT_ACCEPT, "binary frames are not accepted");
    public static final CloseReason REGISTRATION_EXPECTED = of(CloseCodes.VIOLATED_POLICY, "registration expected");
    public static final CloseReason USER_LIMIT = of(CloseCodes.VIOLATED_POLICY, "too many connections for this user");
    public static final CloseReason INTERNAL = of(CloseCodes.UNEXPECTED_CONDITION, "internal error");
    public static final CloseReason SERVER_FULL = of(CloseCodes.TRY_AGAIN_LATER, "server full");
    public static final CloseReason SLOW_CONSUMER = of(code(4001), "slow consumer");
    public static final CloseReason OPERATOR = of(code(4002), "disconnected by operator");
    public static final CloseReason HEARTBEAT_TIMEOUT = of(code(4003), "heartbeat timeout");
    public static final CloseReason REGISTRATION_TIMEOUT = of(code(4008), "registration timeout");
    /** A resuming connection missed pushes on this node (e.g. the Redis link was lost): resume from history. */
    public static final CloseReason RESUME_REQUIRED = of(code(4004), "resume required");
    /**
     * The connection's token expired ({@code exp} + {@code wspush.token.clock-skew} passed) without a refresh: get a
     * new token, then reconnect. Sent to v1 connections, and to plain ones with {@code wspush.token.enforce-expiry=all}.
     */
    public static final CloseReason TOKEN_EXPIRED = of(code(4005), "token expired");
    /** A refresh frame whose token is valid but names another user than the connection's. */
    public static final CloseReason TOKEN_OTHER_USER = of(CloseCodes.VIOLATED_POLICY, "token names another user");
    /** A registered v1 client's frame with {@code "type":"refresh"} but no token string. */
    public static final CloseReason REFRESH_MALFORMED = of(CloseCodes.VIOLATED_POLICY, "malformed refresh frame");

    /**
     * 1001 for a {@code wspush.v1} client, with the window over which the clients of a stopping node should spread
     * their reconnects: {@code "server shutting down; reconnect-spread-ms=5000"}. Plain clients keep
     * {@link #SHUTDOWN}, wserver's frames.
     */
    public static CloseReason shutdownWithSpread(long spreadMillis) {
        return of(CloseCodes.GOING_AWAY, SHUTDOWN.getReasonPhrase() + "; " + RECONNECT_SPREAD + "=" + spreadMillis);
    }

    /** The name of the retry hint in a v1 client's 1001 close reason. */
    public static final String RECONNECT_SPREAD = "reconnect-spread-ms";

    /** Token refusals: 1008 with the refusal as reason ("invalid token", "token expired", "token revoked"). */
    public static CloseReason tokenRefused(String reason) {
        return of(CloseCodes.VIOLATED_POLICY, reason);
    }

    /**
     * A close code as a metric label: the codes wspush sends and the standard ones (RFC 6455 section 7.4.1, IANA
     * 1000-1015) as themselves, anything else a client chose ({@code 3000-4999}) as {@code other}, so clients cannot
     * mint metric series.
     */
    public static String metricLabel(int code) {
        if (code >= 1000 && code <= 1015) return Integer.toString(code);
        return switch (code) {
            case 4001, 4002, 4003, 4004, 4005, 4008 -> Integer.toString(code);
            default -> "other";
        };
    }

    private Disconnect() {
    }

    private static CloseReason of(CloseCode code, String reason) {
        return new CloseReason(code, reason);
    }

    private static CloseCode code(int n) {
        return CloseCodes.getCloseCode(n);
    }
}
