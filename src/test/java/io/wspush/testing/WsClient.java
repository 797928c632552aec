package io.wspush.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A real WebSocket client (the JDK's, over a real socket) that records every frame and the close. */
public final class WsClient implements WebSocket.Listener, AutoCloseable {

    public static final Duration WAIT = Duration.ofSeconds(10);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    public record Close(int code, String reason) {
    }

    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Close> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    private volatile WebSocket ws;

    private WsClient() {
    }

    public static WsClient connect(URI uri, String... subprotocols) {
        return connect(HTTP, uri, subprotocols);
    }

    public static WsClient connect(HttpClient http, URI uri, String... subprotocols) {
        WsClient c = new WsClient();
        WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(WAIT);
        if (subprotocols.length > 0) {
            String[] rest = new String[subprotocols.length - 1];
            System.arraycopy(subprotocols, 1, rest, 0, rest.length);
            b.subprotocols(subprotocols[0], rest);
        }
        c.ws = b.buildAsync(uri, c).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
        return c;
    }

    /** Connects and registers the wserver way. */
    public static WsClient register(URI uri, String token, String event) {
        WsClient c = connect(uri);
        c.send(registration(token, event));
        return c;
    }

    public static String registration(String token, String event) {
        return event == null ? "{\"token\":\"" + token + "\"}" : "{\"token\":\"" + token + "\",\"event\":\"" + event + "\"}";
    }

    public WebSocket socket() {
        return ws;
    }

    public String subprotocol() {
        return ws.getSubprotocol();
    }

    public void send(String text) {
        ws.sendText(text, true).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }

    public void sendBinary(byte[] data) {
        ws.sendBinary(ByteBuffer.wrap(data), true).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }

    /** Next text frame, or null after {@code wait}. */
    public String next(Duration wait) throws InterruptedException {
        return messages.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    public String next() throws InterruptedException {
        return next(WAIT);
    }

    /** Everything received so far, without waiting. */
    public List<String> drain() {
        List<String> all = new ArrayList<>();
        messages.drainTo(all);
        return all;
    }

    public Close awaitClose(Duration wait) {
        try {
            return closed.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("connection not closed within " + wait, e);
        }
    }

    public Close awaitClose() {
        return awaitClose(WAIT);
    }

    public boolean isClosed() {
        return closed.isDone();
    }

    /** Drops the TCP connection without a close frame, like a network failure. */
    public void abort() {
        ws.abort();
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            messages.add(partial.toString());
            partial.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        messages.add("<binary>");
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(new Close(statusCode, reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.complete(new Close(1006, String.valueOf(error)));
    }

    @Override
    public void close() {
        if (!closed.isDone()) {
            try {
                ws.sendClose(1000, "bye").orTimeout(2, TimeUnit.SECONDS).exceptionally(t -> null).join();
            } catch (RuntimeException ignored) {
            }
            ws.abort();
        }
    }
}
