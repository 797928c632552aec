package io.wspush.node;

import io.wspush.config.Config;
import io.wspush.config.Settings;
import io.wspush.connection.Connection;
import io.wspush.testing.FakeSession;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The node's own stop, on sessions that record their close (a container may close its sessions before the web
 * application hears of the undeploy, so over a real socket the close may be the container's).
 */
class NodeStopTest {

    @Test
    void stopGivesV1ClientsAReconnectWindowAndPlainClientsWserversClose() {
        Map<String, String> settings = Map.of("wspush.token.secret", TestServer.SECRET,
                "wspush.push.key", TestServer.PUSH_KEY, "wspush.shutdown.reconnect-spread", "7.5");
        Node node = new Node();
        node.start(Config.from(Settings.load(settings::get)));
        FakeSession v1 = new FakeSession("wspush.v1"), plain = new FakeSession(null);
        for (FakeSession s : List.of(v1, plain)) {
            Connection c = node.sockets().open(s.session);
            node.sockets().text(c, WsClient.registration(Tokens.valid("u"), null));
            assertTrue(c.registered());
        }
        assertTrue(v1.sent.get(0).startsWith("{\"type\":\"registered\""), v1.sent.toString());
        node.stop();
        assertEquals(1, v1.closes.size());
        assertEquals(1001, v1.closes.get(0).getCloseCode().getCode());
        assertEquals("server shutting down; reconnect-spread-ms=7500", v1.closes.get(0).getReasonPhrase());
        assertEquals(1, plain.closes.size());
        assertEquals("server shutting down", plain.closes.get(0).getReasonPhrase());
        assertEquals(List.of(), plain.sent, "a plain client gets nothing but pushed messages");
    }

    @Test
    void closesOfDifferentPeersDoNotQueueBehindStuckOnes() throws Exception {
        ThreadPoolExecutor closers = Pools.closers();
        CountDownLatch stuck = new CountDownLatch(1);
        // Peers whose close blocks (Tomcat: up to its blocking send timeout), fewer than the pool's threads.
        for (int i = 0; i < Pools.CLOSERS - 1; i++) {
            closers.execute(() -> {
                try {
                    stuck.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        CountDownLatch quick = new CountDownLatch(100);
        for (int i = 0; i < 100; i++) closers.execute(quick::countDown);
        assertTrue(quick.await(5, TimeUnit.SECONDS), "quick closes ran beside the stuck ones: " + quick.getCount() + " left");
        stuck.countDown();
        assertEquals(0, Pools.finish(closers, Duration.ofSeconds(5)));
    }

    @Test
    void stopRunsEveryQueuedCloseWithinTheGraceAndCountsWhatItGivesUp() throws Exception {
        ThreadPoolExecutor closers = Pools.closers();
        CountDownLatch never = new CountDownLatch(1);
        AtomicInteger done = new AtomicInteger();
        for (int i = 0; i < 2; i++) {
            closers.execute(() -> {
                try {
                    never.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        List<Runnable> many = new ArrayList<>();
        for (int i = 0; i < 1000; i++) many.add(done::incrementAndGet);
        many.forEach(closers::execute);
        assertEquals(2, Pools.finish(closers, Duration.ofMillis(500)), "the two stuck closes are given up and counted");
        assertEquals(1000, done.get(), "every other queued close ran");
    }
}
