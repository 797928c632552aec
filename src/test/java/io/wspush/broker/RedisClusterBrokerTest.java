package io.wspush.broker;

import io.lettuce.core.RedisURI;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code wspush.redis.uri} as the cluster broker reads it: seed nodes, comma-separated. */
class RedisClusterBrokerTest {

    @Test
    void seedsAreCommaSeparatedRedisUris() {
        List<RedisURI> seeds = RedisClusterBroker.seeds(" redis://127.0.0.1:7000, rediss://:s3cret@cache.example:7001 ,");
        assertEquals(2, seeds.size());
        assertEquals("127.0.0.1", seeds.get(0).getHost());
        assertEquals(7000, seeds.get(0).getPort());
        assertFalse(seeds.get(0).isSsl());
        assertEquals("cache.example", seeds.get(1).getHost());
        assertTrue(seeds.get(1).isSsl());
        assertEquals("s3cret", new String(seeds.get(1).getCredentialsProvider().resolveCredentials().block().getPassword()));
    }

    @Test
    void aBadSeedIsAClearErrorThatNeverShowsThePassword() {
        for (String bad : List.of("redis://127.0.0.1:7000,not a uri :s3cret@", "redis-socket:///tmp/s3cret.sock",
                "redis://:s3cret@", "http://:s3cret@host:7000")) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> RedisClusterBroker.seeds(bad), bad);
            assertTrue(e.getMessage().contains("wspush.redis.uri"), e.getMessage());
            assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
        }
        IllegalStateException none = assertThrows(IllegalStateException.class, () -> RedisClusterBroker.seeds(" , "));
        assertTrue(none.getMessage().contains("no Redis Cluster seed"), none.getMessage());
    }
}
