package io.wspush.admin;

import io.wspush.testing.Awaiting;
import io.wspush.testing.Http;
import io.wspush.testing.Poll;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import io.wspush.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every metric docs/grafana-dashboard.json queries exists in a real /metrics scrape (Prometheus names). */
class DashboardIT {

    @Test
    void everyMetricTheDashboardQueriesIsScraped() throws Exception {
        String dashboard = Files.readString(Path.of("docs/grafana-dashboard.json"));
        Set<String> queried = new TreeSet<>();
        Matcher expr = Pattern.compile("\"(?:expr|definition)\": \"((?:[^\"\\\\]|\\\\.)*)\"").matcher(dashboard);
        while (expr.find()) {
            Matcher name = Pattern.compile("\\b(?:wspush|jvm)_[a-z_]+\\b").matcher(expr.group(1));
            while (name.find()) queried.add(name.group());
        }
        assertTrue(queried.size() >= 15, "metric names found in the dashboard: " + queried);

        try (TestServer server = TestServer.start()) {
            // Give every meter a sample: a registration, a push written, a close.
            try (WsClient c = Awaiting.registered(server, "dash", Tokens.valid("dash"), null)) {
                assertEquals(1, Http.intField(Http.push(server, "dash", null, "hello"), "delivered"));
                assertEquals("hello", c.next());
            }
            Awaiting.userConnections(server, "dash", 0);
            String[] scrape = new String[1];
            Poll.until("the close counted", Duration.ofSeconds(10), () -> {
                scrape[0] = Http.get(server.http("metrics"), TestServer.PUSH_KEY).body();
                return scrape[0].contains("wspush_closes_total{");
            });
            Set<String> scraped = new TreeSet<>();
            Matcher line = Pattern.compile("(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]").matcher(scrape[0]);
            while (line.find()) scraped.add(line.group(1));
            Set<String> missing = new TreeSet<>(queried);
            missing.removeAll(scraped);
            assertEquals(Set.of(), missing, "queried by the dashboard but not in /metrics (scraped: " + scraped + ")");
        }
    }
}
