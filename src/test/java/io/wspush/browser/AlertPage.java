package io.wspush.browser;

import io.wspush.testing.Poll;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** The WAR's start page (index.html) as a user sees it: ids from docs/CLIENT.md, "The demo page". */
final class AlertPage {

    static final Duration WAIT = Duration.ofSeconds(10);

    /** One alert as displayed: texts as the user sees them, the machine-readable time from {@code datetime}. */
    record Alert(String message, String event, boolean eventShown, String timeText, Instant time) {
    }

    private final Browser browser;

    AlertPage(Browser browser) {
        this.browser = browser;
    }

    AlertPage open(URI uri) {
        browser.driver.get(uri.toString());
        // app.js shows the demo forms, or the "token required" note, once it knows which mode the server is in.
        Poll.until("app.js to show the demo forms or the 'token required' note on " + uri, WAIT, () -> Boolean.TRUE.equals(
                browser.js("const shown = (id) => { const e = document.getElementById(id); return !!e && !e.hidden; };"
                        + " return shown('connectForm') || shown('notDemo');")));
        return this;
    }

    WebElement el(String id) {
        return browser.driver.findElement(By.id(id));
    }

    String state() {
        return el("state").getDomAttribute("data-state");
    }

    String stateDetail() {
        return el("stateDetail").getText();
    }

    AlertPage awaitState(String state) {
        Poll.untilEquals("#state data-state", WAIT, state, this::state);
        return this;
    }

    /** What a user types: replaces the field's text. */
    AlertPage type(String id, String text) {
        WebElement input = el(id);
        input.clear();
        if (!text.isEmpty()) input.sendKeys(text);
        return this;
    }

    AlertPage connect(String userId, String event) {
        type("userId", userId).type("event", event == null ? "" : event);
        el("connect").click();
        return awaitState("connected");
    }

    /** Sends through the page's own "Send a test alert" form; returns the delivered count it displays. */
    int pushFromForm(String userId, String event, String message) {
        type("pushUser", userId).type("pushEvent", event == null ? "" : event).type("pushMessage", message);
        String before = String.valueOf(browser.js("return document.getElementById('pushResult').textContent"));
        el("pushSend").click();
        Poll.until("the push form's result", WAIT, () -> el("pushResult").getDomAttribute("data-delivered") != null
                || el("pushResult").getDomAttribute("class").contains("failed"));
        String delivered = el("pushResult").getDomAttribute("data-delivered");
        if (delivered == null) {
            throw new AssertionError("the page's push failed: " + el("pushResult").getText() + " (before: " + before + ")");
        }
        return Integer.parseInt(delivered);
    }

    int alertCount() {
        return ((Number) browser.js("return document.querySelectorAll('#alerts > li.alert').length")).intValue();
    }

    AlertPage awaitAlerts(int n) {
        Poll.untilEquals("number of alerts shown", WAIT, n, this::alertCount);
        return this;
    }

    /** The alerts top to bottom, read from what is rendered. */
    List<Alert> alerts() {
        return browser.driver.findElements(By.cssSelector("#alerts > li.alert")).stream().map(li -> {
            WebElement event = li.findElement(By.className("alert-event"));
            WebElement time = li.findElement(By.className("alert-time"));
            return new Alert(li.findElement(By.className("alert-message")).getText(),
                    event.getDomProperty("textContent"), event.isDisplayed(), time.getText(),
                    Instant.parse(time.getDomAttribute("datetime")));
        }).toList();
    }

    /**
     * Records every change of the state badge and of the error banner from now on, in the page itself: a state
     * that lasts a few milliseconds (a quick reconnect) is seen too, which polling from here could miss.
     */
    void recordStates() {
        browser.js("""
                const state = document.getElementById('state'), detail = document.getElementById('stateDetail');
                const error = document.getElementById('error');
                const seen = window.__seen = { states: [state.dataset.state], details: [], errors: [] };
                const push = (list, v) => { if (v && list[list.length - 1] !== v) list.push(v); };
                new MutationObserver(() => {
                  push(seen.states, state.dataset.state);
                  push(seen.details, state.dataset.state + ': ' + detail.textContent);
                  if (!error.hidden) push(seen.errors, error.textContent);
                }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
                """);
    }

    @SuppressWarnings("unchecked")
    List<String> seen(String what) {
        return (List<String>) browser.js("return window.__seen[arguments[0]]", what);
    }
}
