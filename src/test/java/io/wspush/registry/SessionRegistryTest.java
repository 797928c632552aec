package io.wspush.registry;

import io.wspush.connection.Connection;
import io.wspush.testing.FakeSession;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SessionRegistryTest {

    final SessionRegistry registry = new SessionRegistry();

    Connection connection(String user) {
        Connection c = FakeSession.connection();
        assertTrue(registry.open(c, 1_000_000));
        c.registered(user, null);
        return c;
    }

    @Test
    void firstAndLastConnectionOfAUserAreReported() {
        Connection a = connection("u"), b = connection("u");
        assertEquals(SessionRegistry.Added.FIRST_OF_USER, registry.register(a, 10));
        assertEquals(SessionRegistry.Added.ADDED, registry.register(b, 10));
        assertEquals(2, registry.connections("u").length);
        assertFalse(registry.remove(a));
        assertTrue(registry.remove(b));
        assertEquals(0, registry.connections("u").length);
        assertEquals(0, registry.userCount());
        assertEquals(0, registry.registeredCount());
        assertEquals(0, registry.openCount());
    }

    @Test
    void removeIsIdempotent() {
        Connection a = connection("u");
        registry.register(a, 10);
        assertTrue(registry.remove(a));
        assertFalse(registry.remove(a));
        assertEquals(0, registry.registeredCount());
    }

    @Test
    void perUserLimit() {
        registry.register(connection("u"), 2);
        registry.register(connection("u"), 2);
        Connection third = connection("u");
        assertEquals(SessionRegistry.Added.USER_LIMIT, registry.register(third, 2));
        assertEquals(2, registry.connections("u").length);
        assertFalse(registry.remove(third));
        assertEquals(2, registry.registeredCount());
    }

    @Test
    void nodeLimit() {
        assertTrue(registry.open(FakeSession.connection(), 2));
        assertTrue(registry.open(FakeSession.connection(), 2));
        assertFalse(registry.open(FakeSession.connection(), 2));
    }

    @Test
    void concurrentRegisterAndRemoveLeaveNothingBehind() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> jobs = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            jobs.add(pool.submit(() -> {
                for (int i = 0; i < 2000; i++) {
                    Connection c = connection("user" + (i % 7));
                    registry.register(c, 1_000_000);
                    registry.remove(c);
                }
            }));
        }
        for (Future<?> f : jobs) f.get();
        pool.shutdown();
        assertEquals(0, registry.userCount());
        assertEquals(0, registry.registeredCount());
        assertEquals(0, registry.openCount());
    }

    @Test
    void theConnectionLimitIsExactUnderConcurrentOpens() throws Exception {
        int max = 50, threads = 8, perThread = 200;
        for (int round = 0; round < 20; round++) {
            SessionRegistry r = new SessionRegistry();
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
            java.util.concurrent.atomic.AtomicInteger admitted = new java.util.concurrent.atomic.AtomicInteger();
            List<Connection> prepared = new ArrayList<>();
            for (int i = 0; i < threads * perThread; i++) prepared.add(FakeSession.connection());
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                List<Connection> mine = prepared.subList(t * perThread, (t + 1) * perThread);
                done.add(pool.submit(() -> {
                    start.await();
                    for (Connection c : mine) if (r.open(c, max)) admitted.incrementAndGet();
                    return null;
                }));
            }
            for (Future<?> f : done) f.get();
            pool.shutdown();
            assertEquals(max, admitted.get(), "round " + round + ": admitted");
            assertEquals(max, r.openCount());
            assertEquals(max, r.openConnections().size());
        }
    }
}
