package io.wspush.broker;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.ObjLongConsumer;

/**
 * Operator revocations kept in Redis, so a node restarted or started later still refuses the tokens they cover.
 * One key per user, {@code wspush:rev:{userId}}, holds the revoked-up-to epoch millisecond and expires
 * {@code wspush.revocation.ttl} after it. Writing moves the time forward only (a late or replayed write never
 * shortens a revocation), and publishes the disconnect on the control channel in the same script, so a
 * revocation that reached the other nodes is also stored. On Redis Cluster the key's hash tag puts it on the user's
 * shard, where the script runs; its classic PUBLISH reaches every cluster node; loading scans every master.
 */
final class RedisRevocations {

    static final String KEY_PREFIX = "wspush:rev:";
    private static final int SCAN_BATCH = 500;

    /** KEYS[1] revocation key; ARGV: up-to millis, expire-at millis, control channel, payload. */
    private static final String WRITE = """
            local cur = tonumber(redis.call('GET', KEYS[1]))
            if cur == nil or cur < tonumber(ARGV[1]) then
              redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
            end
            return redis.call('PUBLISH', ARGV[3], ARGV[4])""";

    /** The braces make the userId a Redis Cluster hash tag, as for the user's channel. */
    static String key(String userId) {
        return KEY_PREFIX + "{" + userId + "}";
    }

    /** The userId of a key, or null when the key is not one of ours. */
    static String userOf(String key) {
        if (key == null || !key.startsWith(KEY_PREFIX + "{") || !key.endsWith("}")) return null;
        return key.substring(KEY_PREFIX.length() + 1, key.length() - 1);
    }

    private final String controlChannel;
    private final Duration ttl;

    RedisRevocations(String controlChannel, Duration ttl) {
        this.controlChannel = controlChannel;
        this.ttl = ttl;
    }

    /** Stores the revocation and publishes the disconnect payload; completes with the control channel's receivers. */
    RedisFuture<Long> write(RedisClusterAsyncCommands<String, String> redis, String userId, long upToMillis, String payload) {
        return redis.<Long>eval(WRITE, ScriptOutputType.INTEGER, new String[] {key(userId)},
                Long.toString(upToMillis), Long.toString(upToMillis + ttl.toMillis()), controlChannel, payload);
    }

    /** Reads every stored revocation (SCAN, then MGET per batch): userId to revoked-up-to epoch millis. */
    CompletableFuture<Map<String, Long>> load(RedisClusterAsyncCommands<String, String> redis) {
        return load(redis, redis);
    }

    /**
     * As {@link #load(RedisClusterAsyncCommands)} with SCAN on {@code scanned} (on a cluster: one master's node
     * connection) and MGET through {@code reader} (on a cluster: the cluster connection, which splits it by slot).
     */
    CompletableFuture<Map<String, Long>> load(RedisClusterAsyncCommands<String, String> scanned,
                                              RedisClusterAsyncCommands<String, String> reader) {
        Map<String, Long> found = new HashMap<>();
        return scan(scanned, reader, ScanCursor.INITIAL, found::put).thenApply(done -> found);
    }

    private CompletableFuture<Void> scan(RedisClusterAsyncCommands<String, String> redis,
                                         RedisClusterAsyncCommands<String, String> reader, ScanCursor cursor,
                                         ObjLongConsumer<String> each) {
        ScanArgs args = ScanArgs.Builder.matches(KEY_PREFIX + "*").limit(SCAN_BATCH);
        return redis.scan(cursor, args).toCompletableFuture().thenCompose((KeyScanCursor<String> page) -> {
            CompletableFuture<Void> values = page.getKeys().isEmpty() ? CompletableFuture.completedFuture(null)
                    : reader.mget(page.getKeys().toArray(String[]::new)).toCompletableFuture().thenAccept(kvs -> {
                        for (KeyValue<String, String> kv : kvs) {
                            String user = userOf(kv.getKey());
                            if (user == null || !kv.hasValue()) continue; // expired meanwhile
                            try {
                                each.accept(user, Long.parseLong(kv.getValue()));
                            } catch (NumberFormatException notOurs) {
                                // a foreign value under our prefix: ignored
                            }
                        }
                    });
            return page.isFinished() ? values : values.thenCompose(v -> scan(redis, reader, page, each));
        });
    }
}
