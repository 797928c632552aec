package io.wspush.browser;

import io.wspush.testing.Http;
import io.wspush.testing.Poll;
import io.wspush.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The alert page (index.html, app.js, wspush-client.js) in headless Chromium with tokens that live 8 s
 * ({@code wspush.demo.token-ttl}) and a clock skew of 3 s (the client renews with a fifth of the lifetime left:
 * 1.6 s + 3 s is a margin a loaded CI machine keeps, 0.8 s + 1 s was not): the client renews its token on the open socket without
 * a visible change, and when it cannot (its token endpoint is blocked) the server closes with 4005 and the page
 * comes back with a fresh token, showing every alert pushed meanwhile once.
 */
class TokenRefreshPageIT {

    static final Duration WAIT = Duration.ofSeconds(30);

    static Browser browser;
    static TestServer demo;

    @BeforeAll
    static void start() {
        Browser.requireInstalled();
        var server = CompletableFuture.supplyAsync(() -> TestServer.builder().demo()
                .set("demo.token-ttl", "8").set("token.clock-skew", "3").start());
        try {
            browser = Browser.start();
            // Counts the WebSockets the page opens, so a test can tell a refresh in place from a reconnect.
            browser.driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", """
                    window.__sockets = 0;
                    const Native = window.WebSocket;
                    window.WebSocket = class extends Native {
                      constructor(...args) { super(...args); window.__sockets++; }
                    };"""));
            browser.driver.executeCdpCommand("Network.enable", Map.of());
        } finally {
            demo = server.exceptionally(e -> null).join();
        }
        server.join();
    }

    @AfterAll
    static void stop() {
        if (browser != null) browser.close();
        if (demo != null) demo.close();
    }

    @AfterEach
    void leavePage() {
        block(false);
        browser.driver.get("about:blank");
        // The page's socket is gone before the next test counts closes (a frozen page's would end with 4005).
        Poll.untilEquals("open connections", WAIT, 0, () -> Http.intField(Http.get(demo.http("health"), null), "connections"));
    }

    @Test
    void thePageRenewsItsTokenOnTheOpenSocketWithoutAVisibleChange() {
        AlertPage page = new AlertPage(browser).open(demo.base());
        page.connect("rita", null);
        page.recordStates();
        double registrations = counter("wspush_registrations_total");
        double refreshes = counter("wspush_token_refreshes_total");
        double closes = closes();
        List<String> pushed = new ArrayList<>();
        // An alert, then a renewal, three times over: well past the first token's exp + skew (8 s + 3 s).
        for (int i = 1; i <= 4; i++) {
            String m = "alert " + i;
            assertEquals(1, Http.intField(Http.push(demo, "rita", null, m), "delivered"), m);
            pushed.add(m);
            page.awaitAlerts(i);
            if (i == 4) break;
            double done = refreshes + i;
            Poll.until("refresh in place #" + i, WAIT, () -> counter("wspush_token_refreshes_total") >= done);
        }
        assertEquals(pushed, shownInPushOrder(page), "every alert once, in order");
        assertEquals(1, socketsOpened(), () -> "the page kept its one WebSocket; it saw " + page.seen("details"));
        assertEquals(registrations, counter("wspush_registrations_total"), "no new registration");
        assertEquals(closes, closes(), "no connection closed");
        assertEquals(1, Http.intField(Http.get(demo.http("admin/users/rita"), demo.adminKey()), "connections"));
        assertEquals(List.of("connected"), page.seen("states"), "the state badge never changed");
        assertEquals(List.of(), page.seen("errors"), "no error shown");
        assertEquals(List.of(), browser.consoleErrors(), "console errors");
    }

    @Test
    void whenTheTokenCannotBeRenewedThePageComesBackAfter4005WithoutLosingAnAlert() {
        AlertPage page = new AlertPage(browser).open(demo.base());
        page.connect("sam", null);
        List<String> pushed = new ArrayList<>();
        for (int i = 1; i <= 3; i++) pushed.add("before " + i);
        for (String m : pushed) assertEquals(1, Http.intField(Http.push(demo, "sam", null, m), "delivered"));
        page.awaitAlerts(3);
        page.recordStates();
        double expired = closes("4005");

        // The application's token endpoint goes away: the renewals fail, and the server closes with 4005.
        block(true);
        Poll.until("the server to close the page's connection with 4005", WAIT, () ->
                page.seen("details").stream().anyMatch(d -> d.contains("token expired")));
        assertTrue(closes("4005") > expired);
        assertEquals(0, Http.intField(Http.get(demo.http("admin/users/sam"), demo.adminKey()), "connections"));
        // Alerts pushed while the page has no connection (and no token to get a new one with).
        for (int i = 1; i <= 5; i++) {
            String m = "during the gap " + i;
            assertEquals(0, Http.intField(Http.push(demo, "sam", null, m), "delivered"));
            pushed.add(m);
        }
        block(false);
        page.awaitState("connected");
        for (int i = 1; i <= 3; i++) {
            String m = "after " + i;
            assertEquals(1, Http.intField(Http.push(demo, "sam", null, m), "delivered"));
            pushed.add(m);
        }
        page.awaitAlerts(pushed.size());
        assertEquals(pushed, shownInPushOrder(page), "every alert once, in push order");
        String notice = page.el("notice").getText();
        assertTrue(notice.matches("Reconnected, [5-9] missed alerts recovered\\."), notice);
        // Chromium logs each blocked token request; nothing else may appear.
        assertEquals(List.of(), browser.consoleErrors().stream().filter(e -> !e.contains("ERR_BLOCKED_BY_CLIENT")).toList(),
                "console errors");
    }

    /** Blocks (or unblocks) the page's token endpoint, as an application whose token service is down. */
    static void block(boolean blocked) {
        browser.driver.executeCdpCommand("Network.setBlockedURLs",
                Map.of("urls", blocked ? List.of("*demo/token*") : List.of()));
    }

    static List<String> shownInPushOrder(AlertPage page) {
        List<String> shown = new ArrayList<>(page.alerts().stream().map(AlertPage.Alert::message).toList());
        Collections.reverse(shown); // newest first on the page
        return shown;
    }

    static int socketsOpened() {
        return ((Number) browser.js("return window.__sockets")).intValue();
    }

    static String metrics() {
        var r = Http.get(demo.http("metrics"), demo.pushKey());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    static double counter(String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " ([0-9.E+-]+)$").matcher(metrics());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** Closes counted for one reason (close code). */
    static double closes(String reason) {
        Matcher m = Pattern.compile("(?m)^wspush_closes_total\\{[^}]*reason=\"" + reason + "\"[^}]*} ([0-9.E+-]+)$")
                .matcher(metrics());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** All closes counted, whatever the reason. */
    static double closes() {
        Matcher m = Pattern.compile("(?m)^wspush_closes_total\\{[^}]*} ([0-9.E+-]+)$").matcher(metrics());
        double sum = 0;
        while (m.find()) sum += Double.parseDouble(m.group(1));
        return sum;
    }
}
