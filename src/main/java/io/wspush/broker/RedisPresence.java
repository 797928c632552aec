package io.wspush.broker;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.wspush.config.Config;
import io.wspush.metrics.PushMetrics;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Presence shared through Redis, for both Redis brokers (their connection: {@code source}, null while down).
 *
 * <ul>
 *   <li>{@code wspush:presence:{userId}} (hash; the braces are the user's Redis Cluster hash tag): field = a node
 *       instance ({@code <wspush.node.id>#<random per start>}), value = that instance's registered connections of
 *       the user. Written by one thread per node from the registry's current count (HSET, or HDEL at 0), so racing
 *       registrations and closes converge on the truth; expires {@code 12 × ttl} after its last write.</li>
 *   <li>{@code wspush:presence:nodes} (sorted set): live instances, score = the Redis server's time (ms) until
 *       which the instance counts. Each node refreshes its own score to now + ttl every ttl/3 (a script reading
 *       Redis's clock, so nodes' clocks do not matter), and drops expired members.</li>
 *   <li>A read sums, per user, the fields of live instances (this node's own from its registry, exact and current),
 *       and deletes fields of dead instances on the way. One Redis: one script reads the live set and every hash
 *       asked ({@link #READ}); a cluster: the live set and one HGETALL per user, pipelined. So a crashed node stops counting at most
 *       {@code wspush.presence.ttl} after its last heartbeat; a stopped node at once (it removes itself).</li>
 *   <li>Healing: after a reconnect, when its heartbeat finds itself expired (the others may have deleted its
 *       fields), and every {@code 4 × ttl} (a flushed Redis, a lost shard), a node writes all its users' counts
 *       again, in pipelined chunks. A new start is a new instance: nothing of a previous run counts.</li>
 * </ul>
 */
final class RedisPresence implements Presence {

    private static final Logger LOG = Logger.getLogger(RedisPresence.class.getName());

    static final String KEY_PREFIX = "wspush:presence:";
    static final String NODES_KEY = "wspush:presence:nodes";
    /** Users written per pipelined chunk: keeps Lettuce's request queue bounded on a node with many users. */
    private static final int CHUNK = 500;
    private static final long TICK_MILLIS = 200;
    private static final Duration MIN_SLOW_TIMEOUT = Duration.ofSeconds(2);

    /** KEYS[1] nodes; ARGV: instance, ttl ms, key expiry ms. Returns 1 when the instance was absent or expired. */
    static final String HEARTBEAT = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
            local added = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
            return added""";

    /** KEYS[1] nodes. The instances alive by Redis's clock. */
    static final String LIVE = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')""";

    /**
     * One Redis: the whole read in one command. KEYS[1] nodes, then the users' hashes. Returns the live instances,
     * then each hash as a flat field/value list.
     */
    static final String READ = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local out = {redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')}
            for i = 2, #KEYS do out[i] = redis.call('HGETALL', KEYS[i]) end
            return out""";

    /** The braces make the userId a Redis Cluster hash tag, as for the user's channel. */
    static String key(String userId) {
        return KEY_PREFIX + "{" + userId + "}";
    }

    private final Supplier<RedisClusterAsyncCommands<String, String>> source;
    /** Redis Cluster: the users' hashes live on many shards, so no one script can read them all. */
    private final boolean cluster;
    private final Local local;
    private final PushMetrics metrics;
    private final String instance;
    private final long ttlMillis;
    private final long heartbeatNanos;
    private final long reassertNanos;
    private final long hashTtlMillis;
    private final long readTimeoutNanos;
    private final Duration slowTimeout;
    private final ScheduledThreadPoolExecutor thread;
    /** Users whose count changed and is not written yet (or failed to be). */
    private final Set<String> dirty = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean flushQueued = new AtomicBoolean();
    /** When this node's last heartbeat succeeded (nanoTime), 0 never: the others count it until then + ttl. */
    private volatile long beatAtNanos;
    private volatile boolean closed;

    // ---- presence thread only ----
    private RedisClusterAsyncCommands<String, String> beating; // the connection the last heartbeat went over
    private long beatSentNanos;
    private long reassertedNanos;
    private boolean reassert;
    private boolean errorLogged;

    RedisPresence(Config config, Supplier<RedisClusterAsyncCommands<String, String>> source, boolean cluster,
                  Local local, PushMetrics metrics, ThreadFactory threads) {
        this.source = source;
        this.cluster = cluster;
        this.local = local;
        this.metrics = metrics;
        byte[] suffix = new byte[4];
        new SecureRandom().nextBytes(suffix);
        // Per start: a restarted node with a fixed wspush.node.id must not revive its previous run's counts.
        this.instance = config.nodeId() + "#" + HexFormat.of().formatHex(suffix);
        this.ttlMillis = config.presenceTtl().toMillis();
        this.heartbeatNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1, ttlMillis / 3));
        this.reassertNanos = TimeUnit.MILLISECONDS.toNanos(4 * ttlMillis);
        this.hashTtlMillis = 12 * ttlMillis;
        this.readTimeoutNanos = config.redisTimeout().toNanos();
        this.slowTimeout = config.redisTimeout().compareTo(MIN_SLOW_TIMEOUT) > 0 ? config.redisTimeout() : MIN_SLOW_TIMEOUT;
        this.thread = new ScheduledThreadPoolExecutor(1, threads);
        thread.setRemoveOnCancelPolicy(true);
        long tick = Math.min(TICK_MILLIS, Math.max(10, ttlMillis / 3));
        thread.scheduleWithFixedDelay(this::tick, 0, tick, TimeUnit.MILLISECONDS);
        metrics.gauge("wspush.presence.up", "1 while this node's presence heartbeat is current (other nodes count "
                + "its connections), else 0", () -> up() ? 1 : 0);
        metrics.gauge("wspush.presence.pending", "Users whose connection count on this node is not yet written to "
                + "Redis", dirty::size);
    }

    private boolean up() {
        long at = beatAtNanos;
        return at != 0 && System.nanoTime() - at < TimeUnit.MILLISECONDS.toNanos(ttlMillis);
    }

    // ---- reads (request threads) ----

    @Override
    public int[] connections(List<String> userIds) throws Unavailable {
        RedisClusterAsyncCommands<String, String> redis = source.get();
        if (redis == null || closed) throw new Unavailable("redis is unreachable; presence cannot be answered");
        long deadline = System.nanoTime() + readTimeoutNanos;
        Set<String> alive = new HashSet<>();
        List<Map<String, String>> hashes = new ArrayList<>(userIds.size());
        try {
            if (cluster) {
                // All sent before any answer is awaited: one pipelined round trip per shard, in parallel.
                RedisFuture<List<Object>> live = redis.eval(LIVE, ScriptOutputType.MULTI, NODES_KEY);
                List<RedisFuture<Map<String, String>>> each = new ArrayList<>(userIds.size());
                for (String user : userIds) each.add(redis.hgetall(key(user)));
                for (Object o : live.get(remaining(deadline), TimeUnit.NANOSECONDS)) alive.add(String.valueOf(o));
                for (RedisFuture<Map<String, String>> f : each) hashes.add(f.get(remaining(deadline), TimeUnit.NANOSECONDS));
            } else {
                String[] keys = new String[userIds.size() + 1];
                keys[0] = NODES_KEY;
                for (int i = 0; i < userIds.size(); i++) keys[i + 1] = key(userIds.get(i));
                List<Object> reply = redis.<List<Object>>eval(READ, ScriptOutputType.MULTI, keys)
                        .get(remaining(deadline), TimeUnit.NANOSECONDS);
                for (Object o : (List<?>) reply.get(0)) alive.add(String.valueOf(o));
                for (int i = 1; i < reply.size(); i++) {
                    List<?> flat = (List<?>) reply.get(i);
                    Map<String, String> fields = new java.util.HashMap<>();
                    for (int j = 0; j + 1 < flat.size(); j += 2) fields.put(String.valueOf(flat.get(j)), String.valueOf(flat.get(j + 1)));
                    hashes.add(fields);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(e);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            throw unavailable(e);
        }
        if (hashes.size() != userIds.size()) throw new Unavailable("redis answered " + hashes.size() + " of "
                + userIds.size() + " users");
        int[] out = new int[userIds.size()];
        for (int i = 0; i < out.length; i++) {
            String user = userIds.get(i);
            long n = local.connections(user); // this node: the registry, not a write that may lag behind it
            List<String> dead = null;
            for (Map.Entry<String, String> f : hashes.get(i).entrySet()) {
                if (f.getKey().equals(instance)) continue;
                if (!alive.contains(f.getKey())) {
                    if (dead == null) dead = new ArrayList<>();
                    dead.add(f.getKey());
                    continue;
                }
                try {
                    n += Math.max(0, Long.parseLong(f.getValue()));
                } catch (NumberFormatException notOurs) {
                    // a foreign value under our prefix: ignored
                }
            }
            out[i] = (int) Math.min(Integer.MAX_VALUE, n);
            if (dead != null) forget(redis, user, dead);
        }
        return out;
    }

    private static long remaining(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }

    /** Deletes a crashed node's fields, without waiting: a reader that fails leaves them to the next one. */
    private void forget(RedisClusterAsyncCommands<String, String> redis, String user, List<String> dead) {
        try {
            redis.hdel(key(user), dead.toArray(new String[0]));
        } catch (RuntimeException ignored) {
            // the next read tries again; the hash expires anyway
        }
    }

    private Unavailable unavailable(Throwable e) {
        metrics.brokerErrors.increment();
        return new Unavailable("redis did not answer within wspush.redis.timeout ("
                + TimeUnit.NANOSECONDS.toMillis(readTimeoutNanos) + " ms): " + RedisLink.reason(e));
    }

    // ---- writes (the presence thread) ----

    @Override
    public void changed(String userId) {
        if (userId == null || closed) return;
        dirty.add(userId);
        if (flushQueued.compareAndSet(false, true)) {
            try {
                thread.execute(this::flush);
            } catch (RejectedExecutionException stopping) {
                flushQueued.set(false);
            }
        }
    }

    private void tick() {
        try {
            if (closed) return;
            RedisClusterAsyncCommands<String, String> redis = source.get();
            if (redis == null) {
                beating = null;
                return;
            }
            long now = System.nanoTime();
            if (redis != beating || now - beatSentNanos >= heartbeatNanos) heartbeat(redis, now);
            if (beating != redis) return; // not counted yet: writes wait, so readers never delete them as dead
            if (reassert || now - reassertedNanos >= reassertNanos) {
                reassert = false;
                reassertedNanos = now;
                if (!write(redis, local.users())) reassert = true;
            }
            flush();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "wspush presence: timer failed", e);
        }
    }

    private void heartbeat(RedisClusterAsyncCommands<String, String> redis, long now) {
        beatSentNanos = now;
        try {
            Long added = redis.<Long>eval(HEARTBEAT, ScriptOutputType.INTEGER, new String[]{NODES_KEY}, instance,
                    Long.toString(ttlMillis), Long.toString(hashTtlMillis)).get(slowTimeout.toMillis(), TimeUnit.MILLISECONDS);
            beatAtNanos = now;
            // New link, first beat, or this node had expired (the others may have deleted its fields): write all.
            if (redis != beating || (added != null && added == 1)) reassert = true;
            beating = redis;
            errorLogged = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            failed("heartbeat", e);
        }
    }

    /** Writes the dirty users' counts (presence thread). */
    private void flush() {
        flushQueued.set(false);
        if (dirty.isEmpty()) return;
        RedisClusterAsyncCommands<String, String> redis = source.get();
        if (redis == null || redis != beating) return; // kept dirty: the tick writes them once counted
        List<String> taken = new ArrayList<>();
        for (Iterator<String> it = dirty.iterator(); it.hasNext(); ) {
            taken.add(it.next());
            it.remove();
        }
        write(redis, taken);
    }

    /**
     * Writes the current count of each user (HSET and PEXPIRE, or HDEL at 0), in pipelined chunks, each awaited
     * before the next. Users whose write failed are marked dirty again. @return whether all succeeded
     */
    private boolean write(RedisClusterAsyncCommands<String, String> redis, Iterable<String> users) {
        boolean ok = true;
        List<String> chunk = new ArrayList<>(CHUNK);
        List<CompletableFuture<?>> sent = new ArrayList<>(2 * CHUNK);
        for (Iterator<String> it = users.iterator(); it.hasNext(); ) {
            String user = it.next();
            chunk.add(user);
            try {
                int n = local.connections(user);
                String key = key(user);
                if (n > 0) {
                    sent.add(redis.hset(key, instance, Integer.toString(n)).toCompletableFuture());
                    sent.add(redis.pexpire(key, hashTtlMillis).toCompletableFuture());
                } else {
                    sent.add(redis.hdel(key, instance).toCompletableFuture());
                }
            } catch (RuntimeException e) {
                sent.add(CompletableFuture.failedFuture(e));
            }
            if (chunk.size() == CHUNK || !it.hasNext()) {
                ok &= await(chunk, sent);
                chunk.clear();
                sent.clear();
            }
        }
        return ok;
    }

    private boolean await(List<String> chunk, List<CompletableFuture<?>> sent) {
        try {
            CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0])).get(slowTimeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            failed("write", e);
        }
        dirty.addAll(chunk); // written again on the next tick
        return false;
    }

    private void failed(String what, Throwable e) {
        metrics.brokerErrors.increment();
        if (!errorLogged) {
            errorLogged = true;
            LOG.warning("wspush presence: " + what + " failed (" + RedisLink.reason(e) + "); retrying. Further "
                    + "failures are counted in wspush_broker_errors_total until one succeeds.");
        }
    }

    @Override
    public String problem() {
        return up() ? null : "presence: this node's heartbeat is not current; other nodes do not count its connections";
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            // On the presence thread, after any write in progress: the other nodes stop counting this one now.
            thread.submit(() -> {
                RedisClusterAsyncCommands<String, String> redis = source.get();
                if (redis == null) return;
                try {
                    redis.zrem(NODES_KEY, instance).get(slowTimeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (ExecutionException | TimeoutException | RuntimeException e) {
                    LOG.fine("wspush presence: leaving failed (" + RedisLink.reason(e) + "); this node stops counting "
                            + "within wspush.presence.ttl");
                }
            }).get(slowTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
            // best effort: the heartbeat expires anyway
        }
        thread.shutdownNow();
    }
}
