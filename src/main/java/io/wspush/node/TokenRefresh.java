package io.wspush.node;

import io.micrometer.core.instrument.Counter;
import io.wspush.auth.TokenException;
import io.wspush.auth.TokenVerifier;
import io.wspush.config.Config;
import io.wspush.config.ExpiryEnforcement;
import io.wspush.connection.Connection;
import io.wspush.metrics.PushMetrics;
import io.wspush.protocol.Disconnect;
import io.wspush.protocol.Envelopes;
import io.wspush.protocol.LogText;
import io.wspush.protocol.RefreshFrame;
import jakarta.websocket.CloseReason;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Tokens renewed on an open {@code wspush.v1} connection ({@code {"type":"refresh","token":...}}, docs/PROTOCOL.md
 * "Token refresh"), and the expiry the sweep enforces on connections that did not renew in time (4005).
 */
final class TokenRefresh {

    private static final Logger LOG = Logger.getLogger(TokenRefresh.class.getName());

    private final TokenVerifier tokens;
    private final ExpiryEnforcement enforcement;
    private final long skewMillis;
    private final Counter refreshes;
    private final Counter refused;

    TokenRefresh(Config config, TokenVerifier tokens, PushMetrics metrics) {
        this.tokens = tokens;
        this.enforcement = config.tokenEnforceExpiry();
        this.skewMillis = config.clockSkew().toMillis();
        this.refreshes = metrics.counter("wspush.token.refreshes", "Tokens renewed in place on an open v1 connection");
        this.refused = metrics.counter("wspush.token.refreshes.refused",
                "Refresh frames refused (invalid, expired, revoked token, another user's, malformed): the connection closed");
    }

    /**
     * A registered connection's frame: handles it when it is a refresh frame from a v1 client.
     *
     * @return whether the frame was a refresh (answered or refused); false leaves it to the caller (ignored)
     */
    boolean offer(Connection c, String text) {
        if (!c.v1()) return false; // plain wserver clients: every frame after registration is ignored, as before
        RefreshFrame frame = RefreshFrame.parse(text);
        if (frame == null) return false;
        if (frame == RefreshFrame.MALFORMED) {
            refuse(c, Disconnect.REFRESH_MALFORMED);
            return true;
        }
        TokenVerifier.Identity id;
        try {
            id = tokens.verify(frame.token());
        } catch (TokenException e) {
            refuse(c, Disconnect.tokenRefused(e.getMessage()));
            return true;
        }
        if (!id.userId().equals(c.userId())) {
            refuse(c, Disconnect.TOKEN_OTHER_USER);
            return true;
        }
        // From now on a revocation compares with the new token's iat, and the sweep with its exp.
        c.tokenIssuedAt(id.issuedAt());
        c.tokenExpiresAt(id.expiresAt());
        // A revocation between the check in verify and the line above saw the old iat and closed the connection
        // already, unless the new token is newer than it; checked again so no order of the two lets an old token in.
        if (tokens.isRevoked(id)) {
            refuse(c, Disconnect.tokenRefused(TokenException.Kind.REVOKED.reason));
            return true;
        }
        refreshes.increment();
        c.sendText(Envelopes.refreshed(id.expiresAt()));
        if (LOG.isLoggable(Level.FINE)) {
            LOG.fine("refresh " + c + " user=" + LogText.escape(c.userId()) + " exp=" + id.expiresAt());
        }
        return true;
    }

    /**
     * Whether a v1 client's first frame is a refresh frame: it has nothing to refresh yet, and a refresh is not a
     * registration. Plain clients' first frames are registrations whatever other members they carry (wserver ignored
     * unknown members), so theirs are not looked at.
     */
    static boolean beforeRegistration(Connection c, String text) {
        return c.v1() && RefreshFrame.parse(text) != null;
    }

    /**
     * The cut-off for one sweep: a connection whose token {@code exp} (epoch ms) is below it has expired beyond the
     * clock skew. {@code Long.MIN_VALUE} (nothing is below it) for the kind of connection not enforced.
     */
    long cutoff(boolean v1, long nowMillis) {
        return enforcement.covers(v1) ? nowMillis - skewMillis : Long.MIN_VALUE;
    }

    private void refuse(Connection c, CloseReason reason) {
        refused.increment();
        c.close(reason); // logged by SocketEvents.closing
    }
}
