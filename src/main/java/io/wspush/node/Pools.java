package io.wspush.node;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The node's pools for work that may block on one client's socket, so that no thread of wspush's own (timer, Redis
 * link, push requests) ever does. Both have a fixed number of threads: a pool with an unbounded queue never grows
 * past its core size, so core and maximum are the same, and idle threads time out. Their queues hold at most one
 * task per connection (a connection closes once and has at most one ping in flight), so they are bounded by the
 * connection limit.
 */
final class Pools {

    /** Closes in parallel: on Tomcat a close to a peer that does not read blocks up to its blocking send timeout. */
    static final int CLOSERS = 8;
    /** Healthy pings take microseconds; a stuck one holds a thread until the sweep closes its peer. */
    static final int PINGERS = 4;

    private Pools() {
    }

    static ThreadPoolExecutor closers() {
        return fixed(CLOSERS, "wspush-closer");
    }

    static ThreadPoolExecutor pingers() {
        return fixed(PINGERS, "wspush-pinger");
    }

    static ThreadPoolExecutor fixed(int threads, String name) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), Threads.named(name));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /**
     * Lets queued work finish within {@code grace}, then interrupts what still runs.
     *
     * @return how many tasks were given up (still running or never started)
     */
    static int finish(ThreadPoolExecutor pool, Duration grace) {
        pool.shutdown();
        try {
            if (pool.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int running = pool.getActiveCount();
        return pool.shutdownNow().size() + running;
    }
}
