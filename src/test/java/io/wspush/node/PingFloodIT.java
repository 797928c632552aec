package io.wspush.node;

import io.wspush.testing.Awaiting;
import io.wspush.testing.Poll;
import io.wspush.testing.RawWebSocket;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A registered client floods WebSocket pings and never reads: the container's automatic pongs fill its socket. The
 * node's own timer must go on timing out registrations and heartbeats of everybody else as if nothing happened.
 */
class PingFloodIT {

    /** More than a stalled loopback reader absorbs (~36 MB, PLATFORM-NOTES), counted as pong bytes owed to us. */
    static final long FLOOD_BYTES = 48L << 20;

    /**
     * A cold server may take longer than the short registration timeout to verify its first token (class loading,
     * JIT): register once with retries before the test proper, then open the flooder.
     */
    static RawWebSocket warmedUp(TestServer server) throws IOException {
        for (int i = 0; i < 5; i++) {
            try (WsClient warm = WsClient.register(server.ws(), Tokens.valid("warm-up"), null)) {
                if (warm.next(Duration.ofMillis(1500)) == null && !warm.isClosed()) break;
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        }
        return RawWebSocket.connect(server.ws(), 0);
    }

    @Test
    void aPingFlooderThatNeverReadsDelaysNobodysTimeouts() throws Exception {
        try (TestServer server = TestServer.builder()
                .set("register.timeout", "1")
                .set("ping.interval", "0.3")
                .set("idle.timeout", "3")
                .set("send.timeout", "5")
                .start();
             RawWebSocket flooder = warmedUp(server)) {
            flooder.sendText(WsClient.registration(Tokens.valid("flooder"), null));
            Awaiting.userConnections(server, "flooder", 1);
            AtomicLong flooded = new AtomicLong();
            byte[] payload = new byte[125];
            Arrays.fill(payload, (byte) 'p');
            Thread flood = new Thread(() -> {
                try {
                    // Bounded: stops at FLOOD_BYTES, or when the server closes the socket (write fails).
                    while (flooded.get() < FLOOD_BYTES) {
                        flooder.frame(true, 0x9, payload);
                        // A text frame now and then keeps it alive in the server's eyes (heartbeat).
                        if ((flooded.addAndGet(payload.length + 2) & 0xFFFF) < 127) flooder.sendText("still here");
                    }
                } catch (IOException closed) {
                    // the server gave up on us: what the fix does
                }
            }, "ping-flooder");
            flood.setDaemon(true);
            flood.start();
            try {
                // Jetty stops reading from a peer whose outbound is stuck, so the flood itself stalls after a few MB;
                // by then the pongs owed to it have filled its socket.
                Poll.until("the flood under way", Duration.ofSeconds(30), () -> flooded.get() >= 4L << 20 || !flood.isAlive());
                long floodedAt = System.nanoTime();

                // Heartbeat of another registered connection that stops answering: 3 s idle timeout.
                long[] heartbeatMillis = {-1};
                Thread heartbeat = new Thread(() -> {
                    long t = System.nanoTime();
                    try (RawWebSocket deaf = RawWebSocket.connect(server.ws(), 0)) {
                        deaf.socket().setSoTimeout(30_000);
                        deaf.sendText(WsClient.registration(Tokens.valid("deaf"), null));
                        if (deaf.readUntilClose() == 4003) heartbeatMillis[0] = (System.nanoTime() - t) / 1_000_000;
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }, "deaf-victim");
                heartbeat.start();

                // Registration timeouts of other connections, one after another through the next seconds: 1 s each,
                // one sweep tick (75 ms) late at most; the bounds leave room for a loaded 2-core machine (up to
                // 1.6 s seen) and still fail the old code, whose timer stalled 13 s (the flooder's idle timeout).
                long worstRegisterMillis = 0;
                for (int i = 0; i < 5; i++) {
                    long t = System.nanoTime();
                    try (RawWebSocket silent = RawWebSocket.connect(server.ws(), 0)) {
                        silent.socket().setSoTimeout(30_000);
                        int code = silent.readUntilClose();
                        long took = (System.nanoTime() - t) / 1_000_000;
                        assertEquals(4008, code, "victim " + i + " was closed with " + code + " after " + took + " ms");
                        worstRegisterMillis = Math.max(worstRegisterMillis, took);
                    }
                }
                heartbeat.join(30_000);

                System.out.printf("PingFloodIT: flooded %d MB; worst registration timeout %d ms (1 s setting), "
                        + "heartbeat timeout %d ms (3 s setting); flooder still registered after %d ms: %s%n",
                        flooded.get() >> 20, worstRegisterMillis, heartbeatMillis[0],
                        (System.nanoTime() - floodedAt) / 1_000_000, Awaiting.userConnections(server, "flooder"));
                assertTrue(worstRegisterMillis < 3_000, "registration timeout took " + worstRegisterMillis + " ms");
                assertTrue(heartbeatMillis[0] > 0 && heartbeatMillis[0] < 5_500,
                        "heartbeat timeout took " + heartbeatMillis[0] + " ms");
                // And the flooder itself is dropped: its pings cannot be written within send.timeout.
                Awaiting.userConnections(server, "flooder", 0);
            } finally {
                flooder.close();
                flood.join(10_000);
            }
        }
    }
}
