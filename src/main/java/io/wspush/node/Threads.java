package io.wspush.node;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes every thread of wspush's own (timer, closers, the Redis link): daemon, so a container that forgets to stop
 * the node still exits; named, for thread dumps; and with the web application's class loader as context class
 * loader, so that libraries starting further threads from them (Lettuce, Netty) find the application's classes.
 */
final class Threads {

    private Threads() {
    }

    static ThreadFactory named(String prefix) {
        ClassLoader app = Threads.class.getClassLoader();
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + count.incrementAndGet());
            t.setDaemon(true);
            t.setContextClassLoader(app);
            return t;
        };
    }
}
