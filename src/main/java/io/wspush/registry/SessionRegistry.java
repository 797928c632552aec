package io.wspush.registry;

import io.wspush.connection.Connection;

import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Who is connected: every open connection, and the registered ones by userId. Reads (one per push) are a map
 * lookup returning an immutable array; writes (connect, register, close) copy that user's small array. An
 * empty user is removed at once, so the registry never holds a closed connection or a user without one.
 *
 * <p>The application-scoped CDI bean of this type is the node's own registry ({@code Node} produces it), so the
 * endpoint's registrations and the resources' counts see one registry.
 */
public class SessionRegistry {

    private static final Connection[] NONE = new Connection[0];

    public enum Added { FIRST_OF_USER, ADDED, USER_LIMIT }

    private final ConcurrentHashMap<String, Connection[]> byUser = new ConcurrentHashMap<>();
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger registered = new AtomicInteger();
    /** The open connections counted as they are admitted: the limit check and the count are one atomic step. */
    private final AtomicInteger openCount = new AtomicInteger();

    /** Counts a newly opened connection; false when the node already holds {@code max}. */
    public boolean open(Connection c, int max) {
        if (openCount.incrementAndGet() > max) {
            openCount.decrementAndGet();
            return false;
        }
        if (!open.add(c)) openCount.decrementAndGet();
        return true;
    }

    public Added register(Connection c, int maxPerUser) {
        Added[] result = new Added[1];
        byUser.compute(c.userId(), (user, current) -> {
            if (current == null) {
                result[0] = Added.FIRST_OF_USER;
                return new Connection[] {c};
            }
            if (current.length >= maxPerUser) {
                result[0] = Added.USER_LIMIT;
                return current;
            }
            Connection[] next = Arrays.copyOf(current, current.length + 1);
            next[current.length] = c;
            result[0] = Added.ADDED;
            return next;
        });
        if (result[0] != Added.USER_LIMIT) registered.incrementAndGet();
        return result[0];
    }

    /**
     * Forgets a connection (idempotent).
     *
     * @return true when it was the user's last connection on this node
     */
    public boolean remove(Connection c) {
        if (open.remove(c)) openCount.decrementAndGet();
        String user = c.userId();
        if (user == null) return false;
        boolean[] last = new boolean[1];
        boolean[] removed = new boolean[1];
        byUser.computeIfPresent(user, (u, current) -> {
            int i = indexOf(current, c);
            if (i < 0) return current;
            removed[0] = true;
            if (current.length == 1) {
                last[0] = true;
                return null;
            }
            Connection[] next = new Connection[current.length - 1];
            System.arraycopy(current, 0, next, 0, i);
            System.arraycopy(current, i + 1, next, i, current.length - i - 1);
            return next;
        });
        if (removed[0]) registered.decrementAndGet();
        return last[0];
    }

    /** The user's registered connections on this node (a snapshot; never null). */
    public Connection[] connections(String userId) {
        Connection[] c = byUser.get(userId);
        return c == null ? NONE : c;
    }

    /** Every registered connection, weakly consistent (a broadcast). */
    public void forEachRegistered(java.util.function.Consumer<Connection> action) {
        for (Connection[] user : byUser.values()) {
            for (Connection c : user) action.accept(c);
        }
    }

    /** The users with at least one registered connection (a live, weakly consistent view). */
    public Set<String> users() {
        return Collections.unmodifiableSet(byUser.keySet());
    }

    public boolean holds(String userId) {
        return byUser.containsKey(userId);
    }

    public Collection<Connection> openConnections() {
        return Collections.unmodifiableSet(open);
    }

    public int openCount() {
        return openCount.get();
    }

    public int registeredCount() {
        return registered.get();
    }

    public int userCount() {
        return byUser.size();
    }

    private static int indexOf(Connection[] a, Connection c) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == c) return i;
        }
        return -1;
    }
}
