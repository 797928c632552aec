package io.wspush.browser;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.wspush.testing.Http;
import io.wspush.testing.TestServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An application that uses wspush the way docs/CLIENT.md describes for pages on another origin: it serves its
 * own copy of {@code wspush-client.js} (taken from the wspush deployment under test), passes the {@code url} of
 * wspush's endpoint, and issues push tokens from its own {@code /api/push-token}, which the test controls: a token
 * string, or {@code null} for "signed out" (401).
 */
final class AppPageServer implements AutoCloseable {

    private final HttpServer http;
    private final AtomicReference<String> token = new AtomicReference<>();

    private AppPageServer(HttpServer http) {
        this.http = http;
    }

    static AppPageServer start(TestServer wspush) {
        var client = Http.get(wspush.http("js/wspush-client.js"), null);
        if (client.statusCode() != 200) throw new IllegalStateException("wspush-client.js: HTTP " + client.statusCode());
        byte[] clientJs = client.body().getBytes(StandardCharsets.UTF_8);
        byte[] page = PAGE.replace("WS_URL", wspush.ws().toString()).getBytes(StandardCharsets.UTF_8);
        HttpServer http;
        try {
            http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        AppPageServer app = new AppPageServer(http);
        http.createContext("/", ex -> {
            switch (ex.getRequestURI().getPath()) {
                case "/" -> send(ex, 200, "text/html; charset=utf-8", page);
                case "/js/wspush-client.js" -> send(ex, 200, "text/javascript; charset=utf-8", clientJs);
                case "/api/push-token" -> {
                    String t = app.token.get();
                    if (t == null) send(ex, 401, "application/json", "{\"error\":\"signed out\"}".getBytes(StandardCharsets.UTF_8));
                    else send(ex, 200, "application/json", ("{\"token\":\"" + t + "\"}").getBytes(StandardCharsets.UTF_8));
                }
                default -> send(ex, 404, "text/plain", "not found".getBytes(StandardCharsets.UTF_8));
            }
        });
        http.start();
        return app;
    }

    /** What {@code /api/push-token} hands out from now on; null answers 401 (the user signed out). */
    void issue(String jwt) {
        token.set(jwt);
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/");
    }

    @Override
    public void close() {
        http.stop(0);
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.sendResponseHeaders(status, body.length);
        try (var out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    /** The application's page: the README's usage example, with a visible state and the alerts. */
    private static final String PAGE = """
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><title>Example app</title></head>
            <body>
              <p>State: <span id="state" data-state="closed">closed</span> <span id="stateDetail"></span></p>
              <p id="error" hidden></p>
              <ul id="alerts"></ul>
              <script type="module">
                import { WspushClient } from './js/wspush-client.js';
                const $ = (id) => document.getElementById(id);
                const log = (window.appLog = { tokenReasons: [], states: [], errors: [] });
                const client = (window.wspush = new WspushClient({
                  url: 'WS_URL',
                  backoff: { initialMs: 200, maxMs: 400 },
                  getToken: async ({ reason }) => {
                    log.tokenReasons.push(reason);
                    const res = await fetch('/api/push-token', { cache: 'no-store' });
                    if (res.status === 401) return null; // signed out: stops the client
                    if (!res.ok) throw new Error(`push-token: HTTP ${res.status}`);
                    return (await res.json()).token;
                  },
                }));
                client.addEventListener('state', (e) => {
                  const { state, code, reason } = e.detail;
                  log.states.push(e.detail);
                  const shown = state === 'closed' && reason === 'no token' ? 'error' : state;
                  $('state').textContent = $('state').dataset.state = shown;
                  $('stateDetail').textContent = [code, reason].filter((x) => x != null).join(' ');
                  if (state === 'connected') $('error').hidden = true;
                });
                client.addEventListener('error', (e) => {
                  log.errors.push({ code: e.detail.code, reason: e.detail.reason });
                  $('error').textContent = `${e.detail.reason} (${e.detail.code})`;
                  $('error').hidden = false;
                });
                client.addEventListener('message', (e) => {
                  const li = document.createElement('li');
                  li.textContent = e.detail.message;
                  $('alerts').prepend(li);
                });
                client.start();
              </script>
            </body>
            </html>
            """;
}
