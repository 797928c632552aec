package io.wspush.broker;

import io.lettuce.core.RedisURI;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.wspush.testing.Poll;
import io.wspush.testing.RedisProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Redis link's state machine against a real redis-server that is stopped, restarted and frozen. */
class RedisLinkIT {

    private static final Duration DEADLINE = Duration.ofSeconds(15);
    private static final String CHANNEL = "wspush:test-fixed";

    /** Records what the link reports, in order. */
    static final class Recorder extends RedisPubSubAdapter<String, String> implements RedisLink.Listener {
        final List<String> events = new CopyOnWriteArrayList<>();
        final List<String> messages = new CopyOnWriteArrayList<>();

        @Override
        public void up(RedisLink.Pair pair, boolean again) {
            events.add(again ? "up again" : "up");
        }

        @Override
        public void down() {
            events.add("down");
        }

        @Override
        public void tick(RedisLink.Pair pair) {
        }

        @Override
        public void message(String channel, String message) {
            messages.add(channel + " " + message);
        }
    }

    private RedisProcess redis;
    private RedisLink link;

    @AfterEach
    void close() {
        if (link != null) link.close();
        if (redis != null) redis.close();
    }

    private RedisLink link(Recorder r) {
        RedisURI uri = RedisURI.create(redis.uri());
        link = new RedisLink(uri, Duration.ofMillis(500), Executors.defaultThreadFactory(), r, r, CHANNEL);
        link.start();
        return link;
    }

    private void expectMessageThrough(Recorder r, String text) {
        Poll.untilEquals("subscribers of the fixed channel", DEADLINE, 1L, () -> redis.subscribers(CHANNEL));
        redis.command("PUBLISH", CHANNEL, text);
        Poll.until("message " + text, DEADLINE, () -> r.messages.contains(CHANNEL + " " + text));
    }

    @Test
    void comesUpSubscribedToTheFixedChannels() {
        redis = RedisProcess.start();
        Recorder r = new Recorder();
        link(r);
        assertEquals(List.of("up"), r.events, "start() waits for the first attempt");
        assertNull(link.problem());
        assertNotNull(link.pair());
        expectMessageThrough(r, "hello");
    }

    @Test
    void aStoppedRedisIsReportedOnceAndTheLinkComesBackByItselfWhenItRestarts() {
        redis = RedisProcess.start();
        Recorder r = new Recorder();
        link(r);
        redis.stop();
        Poll.until("link down", DEADLINE, () -> r.events.contains("down"));
        assertNull(link.pair());
        assertTrue(link.problem().contains("lost") || link.problem().contains("unreachable"), link.problem());
        assertTrue(!link.problem().contains("password"), "no secrets in the problem text");

        redis.restart(); // same port, empty
        Poll.until("link up again", DEADLINE, () -> r.events.contains("up again"));
        assertEquals(List.of("up", "down", "up again"), r.events);
        assertNull(link.problem());
        expectMessageThrough(r, "after restart");
    }

    @Test
    void aFrozenRedisIsDroppedByThePingWatchdogAndRejoinedWhenItThaws() {
        redis = RedisProcess.start();
        Recorder r = new Recorder();
        link(r);
        redis.pause(); // sockets stay open: only the missing PING answers can tell
        try {
            Poll.until("link dropped by the watchdog", DEADLINE, () -> r.events.contains("down"));
            assertTrue(link.problem().contains("PING"), link.problem());
        } finally {
            redis.resume();
        }
        Poll.until("link up again", DEADLINE, () -> r.events.contains("up again"));
        expectMessageThrough(r, "after thaw");
    }

    @Test
    void aRedisThatIsDownAtStartIsJoinedWhenItComesUp() {
        redis = RedisProcess.start();
        redis.stop();
        Recorder r = new Recorder();
        long started = System.nanoTime();
        link(r);
        assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofSeconds(5)) < 0,
                "start() does not hang on an unreachable Redis");
        assertTrue(link.problem().contains("unreachable"), link.problem());
        assertTrue(r.events.isEmpty());

        redis.restart();
        Poll.until("link up", DEADLINE, () -> r.events.contains("up"));
        assertEquals(List.of("up"), r.events);
        expectMessageThrough(r, "late");
    }
}
