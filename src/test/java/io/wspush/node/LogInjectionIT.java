package io.wspush.node;

import io.wspush.testing.LogCapture;
import io.wspush.testing.Awaiting;
import io.wspush.testing.Http;
import io.wspush.testing.Poll;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a client chooses (close code and reason, event) reaches logs escaped and metric labels bounded. */
class LogInjectionIT {

    @Test
    void clientTextCannotForgeLogLinesNorMintMetricSeries() throws Exception {
        try (LogCapture log = LogCapture.of("io.wspush").level(Level.INFO); TestServer server = TestServer.start()) {
            java.util.function.Supplier<List<String>> lines = () -> log.records().stream()
                    .map(r -> r.getLevel() + " " + r.getMessage()).toList();
            // A JSON escape in the frame: the event the server sees holds a real newline.
            WsClient c = WsClient.connect(server.ws());
            c.send("{\"token\":\"" + Tokens.valid("injector") + "\",\"event\":\"ev\\nSEVERE: forged-by-event\"}");
            Awaiting.userConnections(server, "injector", 1);
            c.socket().sendClose(4321, "bye\nSEVERE: forged-by-reason\u2028x").get(5, TimeUnit.SECONDS);
            c.awaitClose();
            Awaiting.userConnections(server, "injector", 0);
            Poll.until("the close logged", Duration.ofSeconds(10),
                    () -> lines.get().stream().anyMatch(l -> l.contains("forged-by-reason")));

            for (String forged : new String[] {"forged-by-event", "forged-by-reason"}) {
                List<String> hits = lines.get().stream().filter(l -> l.contains(forged)).toList();
                assertEquals(1, hits.size(), forged + ": " + hits);
                String line = hits.get(0);
                assertFalse(line.contains("\n") || line.contains("\r") || line.contains("\u2028"),
                        "one physical line: " + line);
                assertTrue(line.contains("\\n"), "the newline shows escaped: " + line);
            }
            String metrics = Http.get(server.http("metrics"), TestServer.PUSH_KEY).body();
            assertFalse(metrics.contains("4321"), metrics);
            assertTrue(metrics.contains("wspush_closes_total{reason=\"other\"} 1.0"), metrics);
        }
    }
}
