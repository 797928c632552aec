package io.wspush.broker;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The subscription reconcile: converges to "subscribed iff held" whatever order the hints come in. */
class RedisSubscriptionsTest {

    /** Runs tasks only when the test says so: the broker thread, stepped by hand. */
    static final class Stepper implements Executor {
        final Queue<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable r) {
            tasks.add(r);
        }

        void runAll() {
            for (Runnable r; (r = tasks.poll()) != null; ) r.run();
        }
    }

    /** A Redis whose replies the test completes by hand. */
    static final class ManualRedis implements RedisSubscriptions.Commands {
        record Call(boolean subscribe, List<String> users, CompletableFuture<Void> reply) {
        }

        final List<Call> calls = new ArrayList<>();

        @Override
        public CompletionStage<?> subscribe(List<String> userIds) {
            Call c = new Call(true, userIds, new CompletableFuture<>());
            calls.add(c);
            return c.reply;
        }

        @Override
        public CompletionStage<?> unsubscribe(List<String> userIds) {
            Call c = new Call(false, userIds, new CompletableFuture<>());
            calls.add(c);
            return c.reply;
        }

        Call last() {
            return calls.get(calls.size() - 1);
        }
    }

    final Set<String> held = ConcurrentHashMap.newKeySet();
    final Stepper thread = new Stepper();
    final AtomicInteger failures = new AtomicInteger();
    final RedisSubscriptions subs = new RedisSubscriptions(held::contains, thread, e -> failures.incrementAndGet(), 3);
    final ManualRedis redis = new ManualRedis();

    void connect() {
        thread.execute(() -> subs.connected(redis));
        thread.runAll();
    }

    void arrive(String user) {
        held.add(user);
        subs.changed(user);
    }

    void leave(String user) {
        held.remove(user);
        subs.changed(user);
    }

    @Test
    void arrivalSubscribesOnceConfirmed() {
        connect();
        arrive("alice");
        thread.runAll();
        assertEquals(1, redis.calls.size());
        assertTrue(redis.last().subscribe());
        assertEquals(List.of("alice"), redis.last().users());
        assertFalse(subs.isSubscribed("alice"), "not before Redis confirmed");
        redis.last().reply().complete(null);
        thread.runAll();
        assertTrue(subs.isSubscribed("alice"));
        assertEquals(1, redis.calls.size(), "nothing more to do");
    }

    @Test
    void arrivalAndDepartureBeforeThePassSendNothing() {
        connect();
        arrive("bob");
        leave("bob");
        thread.runAll();
        assertTrue(redis.calls.isEmpty());
    }

    @Test
    void departureOutOfOrderStillConverges() {
        connect();
        // The hints come reversed: "left" is seen before "arrived", but the truth is "held".
        held.add("carol");
        subs.changed("carol"); // userLeft from an older connection, processed late
        subs.changed("carol"); // userArrived
        thread.runAll();
        assertEquals(1, redis.calls.size());
        redis.last().reply().complete(null);
        thread.runAll();
        assertTrue(subs.isSubscribed("carol"));
    }

    @Test
    void leavingWhileSubscribeIsInFlightUnsubscribesAfterwards() {
        connect();
        arrive("dave");
        thread.runAll();
        ManualRedis.Call sub = redis.last();
        leave("dave");
        thread.runAll();
        assertEquals(1, redis.calls.size(), "one command per user in flight");
        sub.reply().complete(null);
        thread.runAll();
        assertEquals(2, redis.calls.size());
        assertFalse(redis.last().subscribe());
        assertEquals(List.of("dave"), redis.last().users());
        redis.last().reply().complete(null);
        thread.runAll();
        assertFalse(subs.isSubscribed("dave"));
    }

    @Test
    void arrivingWhileUnsubscribeIsInFlightResubscribes() {
        connect();
        arrive("erin");
        thread.runAll();
        redis.last().reply().complete(null);
        thread.runAll();
        leave("erin");
        thread.runAll();
        ManualRedis.Call unsub = redis.last();
        assertFalse(unsub.subscribe());
        arrive("erin");
        thread.runAll();
        unsub.reply().complete(null);
        thread.runAll();
        assertTrue(redis.last().subscribe());
        redis.last().reply().complete(null);
        thread.runAll();
        assertTrue(subs.isSubscribed("erin"));
    }

    @Test
    void usersArrivingWhileDisconnectedAreSubscribedOnConnectInBatches() {
        for (int i = 0; i < 7; i++) arrive("u" + i);
        arrive("gone");
        thread.runAll();
        leave("gone");
        thread.runAll();
        assertTrue(redis.calls.isEmpty());
        connect();
        // batch size 3 in this test: 7 users, 3 commands; "gone" is not among them
        assertEquals(3, redis.calls.size());
        Set<String> asked = new HashSet<>();
        for (ManualRedis.Call c : redis.calls) {
            assertTrue(c.subscribe());
            assertTrue(c.users().size() <= 3);
            asked.addAll(c.users());
            c.reply().complete(null);
        }
        assertEquals(held, asked);
        thread.runAll();
        for (String u : held) assertTrue(subs.isSubscribed(u), u);
    }

    @Test
    void reconnectForgetsOldConfirmationsAndResubscribesEveryone() {
        connect();
        arrive("f1");
        arrive("f2");
        thread.runAll();
        redis.last().reply().complete(null);
        thread.runAll();
        assertTrue(subs.isSubscribed("f1"));
        thread.execute(subs::disconnected);
        thread.runAll();
        assertFalse(subs.isSubscribed("f1"), "a lost connection lost its subscriptions");
        leave("f2");
        thread.runAll();
        ManualRedis fresh = new ManualRedis();
        thread.execute(() -> subs.connected(fresh));
        thread.runAll();
        assertEquals(1, fresh.calls.size());
        assertEquals(List.of("f1"), fresh.last().users());
    }

    @Test
    void replyFromAnOldConnectionIsIgnored() {
        connect();
        arrive("g");
        thread.runAll();
        ManualRedis.Call old = redis.last();
        thread.execute(subs::disconnected);
        ManualRedis fresh = new ManualRedis();
        thread.execute(() -> subs.connected(fresh));
        thread.runAll();
        old.reply().completeExceptionally(new IllegalStateException("connection closed"));
        thread.runAll();
        assertEquals(0, failures.get(), "an old connection's failure is not this one's");
        fresh.last().reply().complete(null);
        thread.runAll();
        assertTrue(subs.isSubscribed("g"));
    }

    @Test
    void failedCommandsAreRetriedOnTheTimerNotInALoop() {
        connect();
        arrive("h");
        thread.runAll();
        redis.last().reply().completeExceptionally(new IllegalStateException("timeout"));
        thread.runAll();
        assertEquals(1, failures.get());
        assertEquals(1, redis.calls.size(), "no immediate retry");
        assertFalse(subs.isSubscribed("h"));
        thread.execute(subs::retryFailed);
        thread.runAll();
        assertEquals(2, redis.calls.size());
        redis.last().reply().complete(null);
        thread.runAll();
        assertTrue(subs.isSubscribed("h"));
    }

    @Test
    void commandThrowingIsAFailureToo() {
        RedisSubscriptions.Commands throwing = new RedisSubscriptions.Commands() {
            @Override
            public CompletionStage<?> subscribe(List<String> userIds) {
                throw new IllegalStateException("rejected");
            }

            @Override
            public CompletionStage<?> unsubscribe(List<String> userIds) {
                throw new IllegalStateException("rejected");
            }
        };
        thread.execute(() -> subs.connected(throwing));
        arrive("i");
        thread.runAll();
        assertEquals(1, failures.get());
        assertFalse(subs.isSubscribed("i"));
    }

    /** Many threads flip users in and out at random while Redis answers late and out of order. */
    @Test
    void convergesUnderRacingHints() throws Exception {
        ExecutorService brokerThread = Executors.newSingleThreadExecutor();
        ScheduledExecutorService redisReplies = Executors.newScheduledThreadPool(3);
        Set<String> server = ConcurrentHashMap.newKeySet(); // what "Redis" has, applied in command order
        RedisSubscriptions.Commands async = new RedisSubscriptions.Commands() {
            @Override
            public CompletionStage<?> subscribe(List<String> userIds) {
                server.addAll(userIds);
                return later();
            }

            @Override
            public CompletionStage<?> unsubscribe(List<String> userIds) {
                userIds.forEach(server::remove);
                return later();
            }

            CompletionStage<?> later() {
                CompletableFuture<Void> f = new CompletableFuture<>();
                redisReplies.schedule(() -> f.complete(null), ThreadLocalRandom.current().nextInt(3), TimeUnit.MILLISECONDS);
                return f;
            }
        };
        RedisSubscriptions racing = new RedisSubscriptions(held::contains, brokerThread, e -> failures.incrementAndGet());
        try {
            brokerThread.execute(() -> racing.connected(async));
            int users = 40;
            int threads = 4;
            CountDownLatch done = new CountDownLatch(threads);
            for (int t = 0; t < threads; t++) {
                new Thread(() -> {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    for (int i = 0; i < 5000; i++) {
                        String u = "user" + r.nextInt(users);
                        if (r.nextBoolean()) held.add(u);
                        else held.remove(u);
                        racing.changed(u);
                    }
                    done.countDown();
                }).start();
            }
            assertTrue(done.await(30, TimeUnit.SECONDS));
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (true) {
                boolean confirmed = true;
                for (int i = 0; i < users; i++) {
                    String u = "user" + i;
                    if (racing.isSubscribed(u) != held.contains(u)) confirmed = false;
                }
                if (confirmed && server.equals(held)) break;
                if (System.nanoTime() > end) {
                    throw new AssertionError("not converged: held=" + held + " server=" + server + " " + racing.describe());
                }
                Thread.sleep(5); // polling with the deadline above
            }
            assertEquals(0, failures.get());
        } finally {
            brokerThread.shutdownNow();
            redisReplies.shutdownNow();
        }
    }
}
