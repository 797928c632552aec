package io.wspush.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Plain HTTP calls as a pusher or operator makes them. */
public final class Http {

    // HTTP/1.1 as pushers speak it: the JDK's default (HTTP/2) offers an h2c upgrade on every new connection.
    public static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private Http() {
    }

    public static HttpResponse<String> post(URI uri, String key, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) b.header("Authorization", "Bearer " + key);
        return send(b.build());
    }

    public static HttpResponse<String> push(TestServer s, String userId, String event, String message) {
        return post(s.http("push"), s.pushKey(), pushBody(userId, event, message));
    }

    public static String pushBody(String userId, String event, String message) {
        jakarta.json.JsonObjectBuilder b = jakarta.json.Json.createObjectBuilder().add("userId", userId).add("message", message);
        if (event != null) b.add("event", event);
        return b.build().toString();
    }

    public static HttpResponse<String> get(URI uri, String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET();
        if (key != null) b.header("Authorization", "Bearer " + key);
        return send(b.build());
    }

    public static HttpResponse<String> send(HttpRequest request) {
        return send(CLIENT, request);
    }

    /** {@link #send(HttpRequest)} on a client of the caller's (a connection that must not go back to the pool). */
    public static HttpResponse<String> send(HttpClient client, HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The integer member {@code name} of a JSON object body. */
    public static int intField(HttpResponse<String> r, String name) {
        try (var reader = jakarta.json.Json.createReader(new java.io.StringReader(r.body()))) {
            return reader.readObject().getInt(name);
        }
    }

    public static String stringField(String json, String name) {
        try (var reader = jakarta.json.Json.createReader(new java.io.StringReader(json))) {
            return reader.readObject().getString(name, null);
        }
    }
}
