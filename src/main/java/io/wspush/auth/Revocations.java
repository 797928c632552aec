package io.wspush.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Users whose tokens issued up to a moment are refused: set when an operator disconnects a user, so the client
 * cannot come straight back with the token it held. Entries live for {@code wspush.revocation.ttl}; tokens should
 * expire sooner than that.
 */
public final class Revocations {

    private final ConcurrentHashMap<String, Instant> revokedUpTo = new ConcurrentHashMap<>();
    private final Duration ttl;
    private final Clock clock;

    public Revocations(Duration ttl, Clock clock) {
        this.ttl = ttl;
        this.clock = clock;
    }

    /** @return whether this moved the user's revoked-up-to time forward (false: already known) */
    public boolean revoke(String userId, Instant upTo) {
        boolean[] advanced = new boolean[1];
        revokedUpTo.compute(userId, (u, old) -> {
            if (old != null && !upTo.isAfter(old)) return old;
            advanced[0] = true;
            return upTo;
        });
        return advanced[0];
    }

    /** The moment up to which the user's tokens are refused, or null. */
    public Instant revokedUpTo(String userId) {
        return revokedUpTo.get(userId);
    }

    /** A token without {@code iat} cannot prove it is newer, so it is refused while the user is revoked. */
    public boolean isRevoked(String userId, Instant issuedAt) {
        Instant upTo = revokedUpTo.get(userId);
        if (upTo == null) return false;
        // JWT times are whole seconds: a token from the same second as the revocation counts as older.
        return issuedAt == null || issuedAt.getEpochSecond() <= upTo.getEpochSecond();
    }

    public void expireOld() {
        Instant cutoff = clock.instant().minus(ttl);
        revokedUpTo.values().removeIf(t -> t.isBefore(cutoff));
    }

    public int size() {
        return revokedUpTo.size();
    }
}
