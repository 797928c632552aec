package io.wspush.broker;

import io.wspush.testing.Closing;
import io.wspush.testing.Http;
import io.wspush.testing.Poll;
import io.wspush.testing.RedisProcess;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.V1;
import io.wspush.testing.V1.Msg;
import io.wspush.testing.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * History kept in a real redis-server, shared by two nodes: a client dropped again and again resumes on the other
 * node with every message once and in order; pushes racing resumes; too much missed; expiry; Redis restarted empty;
 * push ids retried through another node.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisHistoryIT {

    static final Duration DEADLINE = Duration.ofSeconds(20);
    static final int SIZE = 400;

    static RedisProcess redis;
    static TestServer a;
    static TestServer b;

    @BeforeAll
    static void start() {
        redis = RedisProcess.start();
        a = node();
        b = node();
    }

    @AfterAll
    static void stop() {
        Closing.closeAll(a, b);
        if (redis != null) redis.close();
    }

    /** A generous publish budget: these tests read every push's offset from its answer on a busy machine. */
    static TestServer node() {
        return TestServer.builder().set("broker", "redis").set("redis.uri", redis.uri()).set("redis.timeout", "2")
                .set("redis.publish-budget", "2")
                .set("history.size", SIZE).set("limit.connections-per-user", 1000).start();
    }

    static long push(TestServer via, String user, String message) {
        return V1.offset(V1.push(via, user, null, message, null));
    }

    /** Registers a v1 client without since on {@code via} and returns the epoch of the user's history (one push). */
    static String epoch(TestServer via, String user) throws InterruptedException {
        try (WsClient c = V1.connect(via.ws(), Tokens.valid(user), null, null, null)) {
            V1.registered(c);
            long off = push(via, user, "epoch probe");
            Msg m = V1.next(c);
            assertEquals(off, m.offset());
            return m.epoch();
        }
    }

    @Test
    @Order(1)
    void aClientDroppedAbruptlyManyTimesResumesOnTheOtherNodeWithEveryMessageOnceInOrder() throws Exception {
        String user = "rh-drops";
        String token = Tokens.valid(user);
        String epoch = epoch(a, user); // offset 1
        int total = 600;
        ConcurrentHashMap<Long, String> pushedAt = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pusher = Executors.newSingleThreadExecutor();
        List<Msg> got = new ArrayList<>();
        got.add(new Msg("epoch probe", null, 1, epoch));
        int resumes = 0;
        try {
            // A steady stream, through both nodes in turn; one pusher, so push order is offset order.
            // At most 100 ahead of the reader, so history (SIZE) always holds what it missed.
            Semaphore ahead = new Semaphore(100);
            Future<?> pushing = pusher.submit(() -> {
                for (int i = 0; i < total && !stop.get(); i++) {
                    ahead.acquire();
                    String m = "s" + i;
                    pushedAt.put(push(i % 2 == 0 ? a : b, user, m), m);
                }
                return null;
            });
            long last = 1;
            while (last < total + 1) {
                TestServer node = resumes % 2 == 0 ? b : a; // each time the other node
                try (WsClient c = V1.connect(node.ws(), token, null, last, epoch)) {
                    resumes++;
                    assertEquals(Boolean.TRUE, V1.recovered(V1.registered(c)), "resume " + resumes + " since " + last);
                    for (int k = 0; k < 5 + resumes % 11 && last < total + 1; k++) {
                        Msg m = V1.next(c);
                        got.add(m);
                        ahead.release();
                        last = m.offset();
                    }
                    c.abort(); // TCP gone, no close frame
                }
            }
            pushing.get();
        } finally {
            stop.set(true);
            pusher.shutdownNow();
        }
        assertTrue(resumes >= 40, "resumed " + resumes + " times");
        for (int i = 0; i < got.size(); i++) {
            Msg m = got.get(i);
            assertEquals(i + 1L, m.offset(), "offset " + (i + 1) + " once, in order; got " + got.subList(Math.max(0, i - 3), i + 1));
            assertEquals(epoch, m.epoch());
            if (i > 0) assertEquals(pushedAt.get(m.offset()), m.message(), "the message pushed as offset " + m.offset());
        }
        assertEquals(total + 1, got.size());
    }

    @Test
    @Order(2)
    void pushesRacingResumesOnBothNodesAreNeitherLostNorDuplicated() throws Exception {
        String user = "rh-race";
        String token = Tokens.valid(user);
        String epoch = epoch(a, user); // offset 1
        int perNode = 150, clients = 12; // 300 pushes: within SIZE, so a late registration still recovers
        int last = 1 + 2 * perNode;
        Set<Long> offsets = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(2 + clients);
        try {
            List<Future<?>> pushers = new ArrayList<>();
            for (TestServer via : List.of(a, b)) {
                pushers.add(pool.submit(() -> {
                    for (int i = 0; i < perNode; i++) assertTrue(offsets.add(push(via, user, "p")), "offset given twice");
                }));
            }
            // Clients register (resume from offset 1) while both nodes push; each must see 2 .. last exactly once.
            List<Future<List<Long>>> readers = new ArrayList<>();
            AtomicInteger started = new AtomicInteger();
            for (int i = 0; i < clients; i++) {
                TestServer via = i % 2 == 0 ? a : b;
                readers.add(pool.submit(() -> {
                    started.incrementAndGet();
                    try (WsClient c = V1.connect(via.ws(), token, null, 1L, epoch)) {
                        assertEquals(Boolean.TRUE, V1.recovered(V1.registered(c)));
                        List<Long> seen = new ArrayList<>();
                        while (seen.isEmpty() || seen.get(seen.size() - 1) < last) seen.add(V1.next(c).offset());
                        assertNull(V1.next(c, Duration.ofMillis(100)), "nothing after the last");
                        return seen;
                    }
                }));
            }
            for (Future<?> f : pushers) f.get();
            List<Long> expected = new ArrayList<>();
            for (long o = 2; o <= last; o++) expected.add(o);
            assertEquals(new TreeSet<>(expected), new TreeSet<>(offsets), "two nodes pushing at once: no offset twice, none skipped");
            for (Future<List<Long>> r : readers) assertEquals(expected, r.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Order(3)
    void moreMissedThanKeptIsNotRecoveredAndExactlyWhatIsKeptIs() throws Exception {
        String user = "rh-overflow";
        String token = Tokens.valid(user);
        String epoch = epoch(b, user); // 1
        for (int i = 0; i < SIZE + 1; i++) push(i % 2 == 0 ? a : b, user, "x" + i); // 2 .. SIZE+2; kept 3 .. SIZE+2
        try (WsClient c = V1.connect(a.ws(), token, null, 1L, epoch)) {
            assertEquals(Boolean.FALSE, V1.recovered(V1.registered(c)));
            long live = push(b, user, "live"); // kept now: 4 .. SIZE+3
            assertEquals(new Msg("live", null, live, epoch), V1.next(c), "no replay, then live");
        }
        try (WsClient c = V1.connect(b.ws(), token, null, 3L, epoch)) {
            assertEquals(Boolean.TRUE, V1.recovered(V1.registered(c)));
            for (long o = 4; o <= SIZE + 3; o++) assertEquals(o, V1.next(c).offset());
        }
        try (WsClient c = V1.connect(b.ws(), token, null, 2L, epoch)) {
            assertEquals(Boolean.FALSE, V1.recovered(V1.registered(c)));
        }
    }

    @Test
    @Order(4)
    void historyOlderThanTheTtlIsGoneWithANewEpoch() throws Exception {
        String user = "rh-ttl";
        try (TestServer shortLived = TestServer.builder().set("broker", "redis").set("redis.uri", redis.uri())
                .set("redis.publish-budget", "2").set("history.ttl", "1").start()) {
            String epoch = epoch(shortLived, user);
            push(shortLived, user, "missed");
            Poll.untilEquals("history expired in Redis", DEADLINE, 0L,
                    () -> (Long) redis.command("EXISTS", RedisHistory.metaKey(user), RedisHistory.streamKey(user)));
            try (WsClient c = V1.connect(shortLived.ws(), Tokens.valid(user), null, 1L, epoch)) {
                assertEquals(Boolean.FALSE, V1.recovered(V1.registered(c)));
                assertEquals(1, push(shortLived, user, "new history"), "offsets start again");
                Msg m = V1.next(c);
                assertEquals(1, m.offset());
                assertNotEquals(epoch, m.epoch());
            }
        }
    }

    @Test
    @Order(5)
    void aPushRetriedWithTheSameIdThroughTheOtherNodeIsDeliveredOnce() throws Exception {
        String user = "rh-id";
        try (WsClient c = V1.connect(b.ws(), Tokens.valid(user), null, null, null)) {
            V1.registered(c);
            HttpResponse<String> first = V1.push(a, user, null, "alert", "order-7");
            HttpResponse<String> retry = V1.push(b, user, null, "alert", "order-7");
            assertEquals(1, Http.intField(first, "delivered"), first.body());
            assertEquals(0, Http.intField(retry, "delivered"), retry.body());
            assertEquals(V1.offset(first), V1.offset(retry));
            push(a, user, "after");
            assertEquals("alert", V1.next(c).message());
            assertEquals("after", V1.next(c).message());
            assertNull(V1.next(c, Duration.ofMillis(200)));
        }
    }

    @Test
    @Order(6)
    void redisRestartedWithoutPersistenceGivesANewEpochAndOffsetsStartAgain() throws Exception {
        String user = "rh-restart";
        String token = Tokens.valid(user);
        String epoch = epoch(a, user);
        push(b, user, "two");
        try (WsClient live = V1.connect(b.ws(), token, null, 2L, epoch);
             WsClient plain = io.wspush.testing.Awaiting.registered(b, user, token, null)) {
            assertEquals(Boolean.TRUE, V1.recovered(V1.registered(live)));
            redis.restart();
            // Back on Redis, B cannot know what its subscription missed: the resuming connection is asked to resume.
            assertEquals(new WsClient.Close(4004, "resume required"), live.awaitClose(DEADLINE));
            for (TestServer s : List.of(a, b)) Poll.untilEquals("ready again", DEADLINE, "ready", () -> RedisBrokerIT.status(s));
            assertTrue(!plain.isClosed(), "plain clients are left alone");
        }
        try (WsClient c = V1.connect(a.ws(), token, null, 2L, epoch)) {
            assertEquals(Boolean.FALSE, V1.recovered(V1.registered(c)), "the old epoch is gone");
            assertEquals(1, push(b, user, "after restart"), "a new sequence");
            Msg m = V1.next(c);
            assertEquals(1, m.offset());
            assertNotEquals(epoch, m.epoch());
            assertEquals(2, push(a, user, "next"));
            assertEquals(new Msg("next", null, 2, m.epoch()), V1.next(c));
        }
    }
}
