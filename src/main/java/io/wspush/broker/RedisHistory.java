package io.wspush.broker;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.wspush.protocol.Delivery;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The Redis broker's history: one Lua script per push, so that assigning the offset, keeping the entry and
 * publishing it are one atomic step in Redis. Redis thereby orders all pushes of a user: every node's subscription
 * receives them in offset order, and two nodes never hand out the same offset or skip one.
 *
 * <p>Keys of a user carry its hash tag, so they live on one Redis Cluster shard:
 * <ul>
 *   <li>{@code wspush:m:{userId}}: hash {@code epoch}, {@code offset} (the last one given);</li>
 *   <li>{@code wspush:h:{userId}}: Stream of the kept pushes, entry ID {@code <offset>-0}, field {@code p}: the
 *       push payload without its position ({@link RedisPayload#encodeOpen}); at most {@code size} entries;</li>
 *   <li>{@code wspush:id:{userId}:<id>}: a push id seen, holding its offset.</li>
 * </ul>
 * All expire {@code ttl} after the user's last push. Missing meta (first push, expiry, Redis restarted without
 * persistence) means a new epoch: the stream is cleared and offsets restart at 1.
 */
final class RedisHistory {

    /** A push's place: {@code receivers} is (S)PUBLISH's count, -1 for a retried id (not published again). */
    record Pushed(long offset, String epoch, long receivers) {
        boolean duplicate() {
            return receivers < 0;
        }
    }

    /** The user's history as a resuming connection sees it: epoch (null: none), last offset, entries after since. */
    record Snapshot(String epoch, long offset, List<Delivery> after) {
    }

    static final String PUSH_SCRIPT = """
            -- KEYS: stream, meta, id key (the meta key again when the push has no id)
            -- ARGV: channel, payload without position, epoch for new meta, size, ttl ms, has id
            local epoch
            if ARGV[6] == '1' then
              local seen = redis.call('GET', KEYS[3])
              if seen then
                epoch = redis.call('HGET', KEYS[2], 'epoch')
                if epoch then return {tonumber(seen), epoch, -1} end
              end
            end
            epoch = redis.call('HGET', KEYS[2], 'epoch')
            if not epoch then
              epoch = ARGV[3]
              redis.call('DEL', KEYS[1])
              redis.call('HSET', KEYS[2], 'epoch', epoch)
            end
            local offset = redis.call('HINCRBY', KEYS[2], 'offset', 1)
            redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[4], offset .. '-0', 'p', ARGV[2])
            redis.call('PEXPIRE', KEYS[1], ARGV[5])
            redis.call('PEXPIRE', KEYS[2], ARGV[5])
            if ARGV[6] == '1' then redis.call('SET', KEYS[3], offset, 'PX', ARGV[5]) end
            local receivers = redis.call('PUBLISH', ARGV[1], ARGV[2] .. ',"offset":' .. offset .. ',"epoch":"' .. epoch .. '"}')
            return {offset, epoch, receivers}
            """;

    static final String READ_SCRIPT = """
            -- KEYS: stream, meta; ARGV: since offset (exclusive), or -1 for the meta only
            local epoch = redis.call('HGET', KEYS[2], 'epoch')
            if not epoch then return {'', 0, {}} end
            local offset = tonumber(redis.call('HGET', KEYS[2], 'offset') or '0')
            local since = tonumber(ARGV[1])
            if since < 0 or since >= offset then return {epoch, offset, {}} end
            return {epoch, offset, redis.call('XRANGE', KEYS[1], '(' .. since .. '-0', '+')}
            """;

    /**
     * The push script for Redis Cluster: the same, publishing with SPUBLISH (sharded pub/sub) on the user's channel,
     * which has the keys' hash tag, so one slot.
     */
    static final String SHARDED_PUSH_SCRIPT = PUSH_SCRIPT.replace("redis.call('PUBLISH',", "redis.call('SPUBLISH',");

    private final Script push;
    private final Script read = new Script(READ_SCRIPT);
    private final String size;
    private final String ttlMillis;

    /** For a standalone Redis: the push script PUBLISHes. */
    RedisHistory(int size, long ttlMillis) {
        this(size, ttlMillis, false);
    }

    /** @param sharded true for Redis Cluster: the push script SPUBLISHes */
    RedisHistory(int size, long ttlMillis, boolean sharded) {
        if (sharded && SHARDED_PUSH_SCRIPT.equals(PUSH_SCRIPT)) throw new IllegalStateException("no PUBLISH in the script");
        this.push = new Script(sharded ? SHARDED_PUSH_SCRIPT : PUSH_SCRIPT);
        this.size = Integer.toString(size);
        this.ttlMillis = Long.toString(ttlMillis);
    }

    static String streamKey(String userId) {
        return "wspush:h:{" + userId + "}";
    }

    static String metaKey(String userId) {
        return "wspush:m:{" + userId + "}";
    }

    static String idKey(String userId, String id) {
        return "wspush:id:{" + userId + "}:" + id;
    }

    /** Keeps and publishes one push (the payload without its position) on {@code channel}. */
    CompletableFuture<Pushed> push(RedisClusterAsyncCommands<String, String> redis, String userId, String channel,
                                   String openPayload, String id) {
        String[] keys = {streamKey(userId), metaKey(userId), id == null ? metaKey(userId) : idKey(userId, id)};
        String epoch = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()); // used when the meta is new
        return push.run(redis, keys, channel, openPayload, epoch, size, ttlMillis, id == null ? "0" : "1")
                .thenApply(r -> new Pushed((Long) r.get(0), (String) r.get(1), (Long) r.get(2)));
    }

    /** The meta and (when {@code sinceOffset >= 0}) the kept entries after it, in one atomic read. */
    CompletableFuture<Snapshot> read(RedisClusterAsyncCommands<String, String> redis, String userId, long sinceOffset) {
        String[] keys = {streamKey(userId), metaKey(userId)};
        return read.run(redis, keys, Long.toString(sinceOffset)).thenApply(r -> {
            String epoch = (String) r.get(0);
            long offset = (Long) r.get(1);
            List<Delivery> after = new ArrayList<>();
            for (Object o : (List<?>) r.get(2)) {
                List<?> entry = (List<?>) o;
                String entryId = (String) entry.get(0);
                long entryOffset = Long.parseLong(entryId.substring(0, entryId.indexOf('-')));
                List<?> fields = (List<?>) entry.get(1);
                String open = null;
                for (int i = 0; i + 1 < fields.size(); i += 2) {
                    if ("p".equals(fields.get(i))) open = (String) fields.get(i + 1);
                }
                if (open == null) throw new IllegalStateException("history entry " + entryId + " has no payload");
                after.add(RedisPayload.decode(RedisPayload.close(open, entryOffset, epoch)).delivery());
            }
            return new Snapshot(epoch.isEmpty() ? null : epoch, offset, after);
        });
    }

    /** A Lua script run by its SHA1 (EVALSHA), loaded with EVAL when Redis does not know it (first run, restart). */
    private static final class Script {
        final String source;
        final String sha;

        Script(String source) {
            this.source = source;
            try {
                this.sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                        .digest(source.getBytes(StandardCharsets.UTF_8)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        CompletableFuture<List<Object>> run(RedisClusterAsyncCommands<String, String> redis, String[] keys, String... args) {
            CompletableFuture<List<Object>> bySha = redis.<List<Object>>evalsha(sha, ScriptOutputType.MULTI, keys, args)
                    .toCompletableFuture();
            return bySha.handle((r, e) -> {
                if (e == null) return CompletableFuture.completedFuture(r);
                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                if (cause instanceof RedisNoScriptException) {
                    return redis.<List<Object>>eval(source, ScriptOutputType.MULTI, keys, args).toCompletableFuture();
                }
                return CompletableFuture.<List<Object>>failedFuture(cause);
            }).thenCompose(f -> f);
        }
    }
}
