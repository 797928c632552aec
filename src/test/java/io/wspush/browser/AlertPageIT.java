package io.wspush.browser;

import io.wspush.testing.Http;
import io.wspush.testing.Poll;
import io.wspush.testing.TcpRelay;
import io.wspush.testing.TestServer;
import io.wspush.testing.Tokens;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The WAR's live alert page (index.html, js/app.js, js/wspush-client.js) in a real headless Chromium against the
 * real WAR in Jetty: sign-in and pushes in demo mode, a server-side drop and the reconnect, a context path other
 * than {@code /}, a server outside demo mode, and an application page whose token the server refuses.
 * Screenshots of the page go to target/screenshots/.
 */
class AlertPageIT {

    static final Duration RECONNECT = Duration.ofSeconds(20);

    static Browser browser;
    static TestServer demo;        // demo mode, deployed at /
    static TestServer demoAlerts;  // demo mode, deployed at /alerts
    static TestServer secured;     // token secret and push key set: not demo mode

    AlertPage page;

    @BeforeAll
    static void start() {
        Browser.requireInstalled(); // skips (or, with CI set, fails) before anything is started
        long t0 = System.nanoTime();
        // The three WARs deploy while the browser starts.
        var a = CompletableFuture.supplyAsync(() -> demoServer().start());
        var b = CompletableFuture.supplyAsync(() -> demoServer().contextPath("/alerts").start());
        var c = CompletableFuture.supplyAsync(() -> TestServer.builder().start());
        try {
            browser = Browser.start();
        } finally {
            // Keep every server that started, even when another one or the browser failed: @AfterAll closes them.
            demo = a.exceptionally(e -> null).join();
            demoAlerts = b.exceptionally(e -> null).join();
            secured = c.exceptionally(e -> null).join();
        }
        a.join(); // rethrows a failed start
        b.join();
        c.join();
        System.out.printf("AlertPageIT: Chromium and three WARs up in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }

    static TestServer.Builder demoServer() {
        return TestServer.builder().demo();
    }

    @AfterAll
    static void stop() {
        List<AutoCloseable> all = new ArrayList<>();
        all.add(browser);
        all.add(demo);
        all.add(demoAlerts);
        all.add(secured);
        RuntimeException failure = null;
        for (AutoCloseable c : all) {
            if (c == null) continue;
            try {
                c.close();
            } catch (Exception e) {
                if (failure == null) failure = new IllegalStateException("cleanup failed", e);
                else failure.addSuppressed(e);
            }
        }
        browser = null;
        demo = demoAlerts = secured = null;
        if (failure != null) throw failure;
    }

    @BeforeEach
    void forgetOldConsoleMessages() {
        browser.consoleErrors();
    }

    @AfterEach
    void leavePage() {
        // Closes the page's socket before the next test, and undoes any phone or dark-mode emulation.
        if (browser != null) {
            browser.resetEmulation();
            browser.driver.get("about:blank");
        }
    }

    @Test
    void pushesFromTheServerAndFromThePageAppearNewestFirst() {
        page = new AlertPage(browser).open(demo.base());
        assertEquals("closed", page.state());
        assertTrue(page.el("alertsEmpty").isDisplayed(), "the empty-list hint is shown before any alert");

        page.connect("alice", null);
        assertTrue(page.stateDetail().contains("alice"), page.stateDetail());
        assertEquals("connected", page.el("state").getText());

        // A push from the application's backend: POST /push with the push key.
        Instant before = Instant.now();
        var r = Http.push(demo, "alice", "deploys", "Build 1432 deployed to production");
        Instant after = Instant.now();
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(1, Http.intField(r, "delivered"));
        page.awaitAlerts(1);
        AlertPage.Alert first = page.alerts().get(0);
        assertEquals("Build 1432 deployed to production", first.message());
        assertEquals("deploys", first.event());
        assertTrue(first.eventShown());
        assertFalse(first.time().isBefore(before.minusSeconds(1)) || first.time().isAfter(after.plusSeconds(1)),
                "alert time " + first.time() + " is the server's acceptance time, between " + before + " and " + after);
        assertTrue(first.timeText().matches(".*\\d{1,2}:\\d{2}:\\d{2}.*"), "readable time: " + first.timeText());
        assertFalse(page.el("alertsEmpty").isDisplayed(), "the empty-list hint goes away");

        // A push through the page's own form, without an event.
        assertEquals(1, page.pushFromForm("alice", null, "Lunch is served in the atrium"));
        assertEquals("Delivered to 1 connection", page.el("pushResult").getText());
        page.awaitAlerts(2);
        List<AlertPage.Alert> alerts = page.alerts();
        assertEquals("Lunch is served in the atrium", alerts.get(0).message(), "newest first");
        assertEquals("", alerts.get(0).event());
        assertFalse(alerts.get(0).eventShown(), "no event badge for a push that named no event");
        assertEquals("Build 1432 deployed to production", alerts.get(1).message());
        assertFalse(alerts.get(0).time().isBefore(alerts.get(1).time()));

        // Messages are text, never markup; a push to someone else does not show up here.
        Http.push(demo, "bob", null, "for bob only");
        Http.push(demo, "alice", "security", "<img src=x onerror=\"document.title='pwned'\"> login from a new device");
        Http.push(demo, "alice", "billing", "Invoice #2025-117 is due in 3 days");
        page.awaitAlerts(4);
        alerts = page.alerts();
        assertEquals("Invoice #2025-117 is due in 3 days", alerts.get(0).message());
        assertEquals("<img src=x onerror=\"document.title='pwned'\"> login from a new device", alerts.get(1).message());
        assertTrue(browser.driver.findElements(By.cssSelector("#alerts img")).isEmpty());
        assertEquals("4", page.el("alertCount").getText());
        assertEquals(List.of(), browser.consoleErrors(), "console errors");

        // The product shots: desktop, a phone, and the dark scheme on a phone.
        System.out.println("screenshot: " + browser.screenshot("alerts-desktop").toAbsolutePath());
        browser.emulatePhone();
        System.out.println("screenshot: " + browser.screenshot("alerts-phone").toAbsolutePath());
        assertNoHorizontalScroll();
        // On a phone the newest alert is in view without scrolling, above the test form.
        assertTrue((Boolean) browser.js("""
                const first = document.querySelector('#alerts > li.alert').getBoundingClientRect();
                return first.bottom <= window.innerHeight
                    && first.bottom <= document.getElementById('pushForm').getBoundingClientRect().top;"""),
                "the newest alert is visible on a phone without scrolling");
        browser.emulateDarkScheme(true);
        System.out.println("screenshot: " + browser.screenshot("alerts-phone-dark").toAbsolutePath());
    }

    /** The page's client acknowledges each alert after showing it: a push waiting for receipts learns it at once. */
    @Test
    void thePageAcknowledgesWhatItShowsAndShowsNothingMoreForIt() throws Exception {
        page = new AlertPage(browser).open(demo.base());
        page.connect("dora", null);
        long t0 = System.nanoTime();
        var r = Http.post(demo.http("push"), demo.pushKey(),
                "{\"userId\":\"dora\",\"message\":\"Seen on screen\",\"receipts\":{\"wait\":10}}");
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(1, Http.intField(r, "delivered"), r.body());
        assertEquals(1, Http.intField(r, "acknowledged"), r.body());
        assertTrue(r.body().contains("\"complete\":true"), r.body());
        assertTrue(tookMs < 8000, "the page's ack came late: " + tookMs + " ms");
        page.awaitAlerts(1);
        assertEquals("Seen on screen", page.alerts().get(0).message());
        assertEquals("1", page.el("alertCount").getText());
        assertFalse(page.el("notice").isDisplayed(), "no notice for an acknowledged alert");
        assertFalse(page.el("error").isDisplayed() && !page.el("error").getText().isEmpty(), "no error shown");
        assertEquals(List.of(), browser.consoleErrors(), "console errors");
    }

    @Test
    void reconnectsAfterTheServerDropsTheConnectionAndReceivesTheNextPush() {
        page = new AlertPage(browser).open(demo.base());
        page.connect("carol", "news");
        Http.push(demo, "carol", "news", "before the drop");
        page.awaitAlerts(1);
        page.recordStates();

        // The operator disconnects carol: 4002, and her tokens issued until now are refused.
        var r = Http.post(demo.http("admin/disconnect"), demo.adminKey(), "{\"userId\":\"carol\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(1, Http.intField(r, "disconnected"));

        // The page says so, fetches a fresh token (demo/token) and comes back on its own.
        Poll.until("the page to show reconnecting, then connected", RECONNECT, () ->
                page.seen("states").contains("reconnecting") && "connected".equals(page.state()));
        assertTrue(page.seen("errors").stream().anyMatch(e -> e.startsWith("You were signed out by the server.")
                && e.contains("disconnected by operator · code 4002")), page.seen("errors").toString());
        assertTrue(page.seen("details").stream().anyMatch(d -> d.startsWith("reconnecting: in ")), page.seen("details").toString());
        assertFalse(page.el("error").isDisplayed(), "the error is cleared once connected again");

        // The pushes keep coming, and the alerts from before the drop are still there.
        Poll.until("the server to see carol again", RECONNECT, () -> Http.intField(
                Http.get(demo.http("admin/users/carol"), demo.adminKey()), "connections") == 1);
        assertEquals(1, Http.intField(Http.push(demo, "carol", "news", "after the drop"), "delivered"));
        page.awaitAlerts(2);
        assertEquals(List.of("after the drop", "before the drop"), page.alerts().stream().map(AlertPage.Alert::message).toList());
    }

    @Test
    void survivesADropDuringABurstOfPushesAndShowsEveryAlertOnce() throws Exception {
        try (TcpRelay relay = TcpRelay.start(demo.base())) {
            page = new AlertPage(browser).open(relay.via(demo.base()));
            page.connect("grace", null);
            page.recordStates();
            List<String> pushed = new ArrayList<>();
            for (int i = 1; i <= 90; i++) pushed.add("alert " + i);
            var burst = CompletableFuture.runAsync(() -> {
                for (String m : pushed.subList(0, 30)) assertEquals(200, Http.push(demo, "grace", null, m).statusCode());
            });
            // Mid-burst the network path dies (no close frame) and stays down while 30 more alerts are pushed.
            Poll.until("some alerts shown", RECONNECT, () -> page.alertCount() >= 10);
            relay.cut();
            burst.join();
            for (String m : pushed.subList(30, 60)) assertEquals(200, Http.push(demo, "grace", null, m).statusCode());
            Poll.until("the page to notice the drop", RECONNECT, () -> page.seen("states").contains("reconnecting"));
            relay.reopen();
            // The rest races the page's resume.
            for (String m : pushed.subList(60, 90)) assertEquals(200, Http.push(demo, "grace", null, m).statusCode());
            page.awaitAlerts(90);
            List<String> shown = new ArrayList<>(page.alerts().stream().map(AlertPage.Alert::message).toList());
            java.util.Collections.reverse(shown); // newest first on the page
            assertEquals(pushed, shown, "every alert once, in push order");
            String notice = page.el("notice").getText();
            var m = java.util.regex.Pattern.compile("Reconnected, (\\d+) missed alerts recovered\\.").matcher(notice);
            assertTrue(m.matches(), notice);
            int missed = Integer.parseInt(m.group(1));
            assertTrue(missed >= 30 && missed <= 80, "missed " + missed);
            // Chromium itself logs each refused reconnect attempt while the path is down; nothing else may appear.
            assertEquals(List.of(), browser.consoleErrors().stream()
                    .filter(e -> !e.contains("WebSocket connection to") || !e.contains("ERR_CONNECTION_RESET")).toList(),
                    "console errors");
            System.out.println("screenshot: " + browser.screenshot("alerts-resumed").toAbsolutePath());
        }
    }

    @Test
    void worksUnderAContextPath() {
        // What a user types: no trailing slash. Relative URLs must still reach /alerts/demo/token, /alerts/ws...
        URI typed = URI.create(demoAlerts.base().toString().replaceAll("/$", ""));
        page = new AlertPage(browser).open(typed);
        page.connect("dave", null);
        assertTrue(String.valueOf(browser.js("return location.pathname")).startsWith("/alerts"));

        assertEquals(1, Http.intField(Http.push(demoAlerts, "dave", null, "hello under /alerts"), "delivered"));
        assertEquals(1, page.pushFromForm("dave", "ops", "form under /alerts"));
        page.awaitAlerts(2);
        assertEquals(List.of("form under /alerts", "hello under /alerts"),
                page.alerts().stream().map(AlertPage.Alert::message).toList());
        // The root server never saw dave.
        assertEquals(0, Http.intField(Http.get(demo.http("admin/users/dave"), demo.adminKey()), "connections"));
        assertEquals(List.of(), browser.consoleErrors(), "console errors");

        // Disconnect closes the socket for good: the server sees dave leave, and the page stays closed.
        page.el("disconnect").click();
        page.awaitState("closed");
        Poll.until("dave to leave", AlertPage.WAIT, () -> Http.intField(
                Http.get(demoAlerts.http("admin/users/dave"), demoAlerts.adminKey()), "connections") == 0);
        assertEquals(0, Http.intField(Http.push(demoAlerts, "dave", null, "nobody home"), "delivered"));
        assertEquals("closed", page.state());
        assertFalse(page.el("disconnect").isEnabled());
    }

    @Test
    void outsideDemoModeThePageAsksForAnApplicationToken() {
        page = new AlertPage(browser).open(secured.base());
        assertTrue(page.el("notDemo").isDisplayed());
        assertFalse(page.el("connectForm").isDisplayed());
        assertFalse(page.el("pushForm").isDisplayed());
        assertEquals("closed", page.state());
        assertEquals("token required", page.stateDetail());
        assertFalse(page.el("error").isDisplayed(), "not an error: the server is fine, it just is not a demo");
        browser.emulatePhone();
        System.out.println("screenshot: " + browser.screenshot("token-required-phone").toAbsolutePath());
    }

    @Test
    void aRefusedTokenShowsAnErrorUntilTheApplicationIssuesAGoodOne() {
        try (AppPageServer app = AppPageServer.start(secured)) {
            // The application's token endpoint hands out a token the server cannot verify (another secret).
            String forged = Tokens.token("another-secret-0123456789-abcdefghijklmnopqrstuvwxyz", "erin",
                    Instant.now().minusSeconds(5), Instant.now().plusSeconds(3600));
            app.issue(forged);
            browser.driver.get(app.uri().toString());

            Poll.until("the refusal to be shown", AlertPage.WAIT, () -> browser.driver.findElement(By.id("error")).isDisplayed());
            assertEquals("invalid token (1008)", browser.driver.findElement(By.id("error")).getText());
            Poll.until("a fresh token to be asked for after the refusal", AlertPage.WAIT, () ->
                    appLog("tokenReasons").contains("rejected"));
            assertEquals("initial", appLog("tokenReasons").get(0));

            // The application issues a good token: the client takes it on its next attempt.
            app.issue(Tokens.valid("erin"));
            Poll.untilEquals("app page state", AlertPage.WAIT, "connected",
                    () -> browser.driver.findElement(By.id("state")).getDomAttribute("data-state"));
            assertFalse(browser.driver.findElement(By.id("error")).isDisplayed());
            assertEquals(1, Http.intField(Http.push(secured, "erin", null, "welcome, erin"), "delivered"));
            Poll.untilEquals("the alert on the app page", AlertPage.WAIT, "welcome, erin",
                    () -> browser.driver.findElement(By.id("alerts")).getText());

            // Sign-out: the operator disconnects erin and the application stops issuing her tokens. The client
            // asks once more ('disconnected'), gets none, and stops: the error state, no reconnect loop.
            app.issue(null);
            assertEquals(1, Http.intField(Http.post(secured.http("admin/disconnect"), secured.adminKey(),
                    "{\"userId\":\"erin\"}"), "disconnected"));
            Poll.untilEquals("app page state", AlertPage.WAIT, "error",
                    () -> browser.driver.findElement(By.id("state")).getDomAttribute("data-state"));
            List<String> reasons = appLog("tokenReasons");
            assertEquals("disconnected", reasons.get(reasons.size() - 1));
            assertEquals("4002 disconnected by operator", ((List<?>) browser.js("return window.appLog.errors"))
                    .stream().map(e -> ((Map<?, ?>) e).get("code") + " " + ((Map<?, ?>) e).get("reason"))
                    .reduce((x, y) -> y).orElseThrow());
            assertEquals("closed", browser.js("return window.wspush.state"));
        }
    }

    @SuppressWarnings("unchecked")
    private static List<String> appLog(String what) {
        return (List<String>) browser.js("return window.appLog[arguments[0]]", what);
    }

    private static void assertNoHorizontalScroll() {
        Number overflow = (Number) browser.js(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth");
        assertEquals(0, overflow.intValue(), "the page scrolls sideways on a phone");
    }
}
