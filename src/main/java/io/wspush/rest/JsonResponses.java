package io.wspush.rest;

import io.wspush.json.Jsonp;
import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.nio.charset.StandardCharsets;

/** JSON responses, built with JSON-P so no entity provider is needed and the bytes are the same everywhere. */
public final class JsonResponses {

    private JsonResponses() {
    }

    public static Response ok(JsonObjectBuilder body) {
        return status(Response.Status.OK.getStatusCode(), body);
    }

    public static Response status(int status, JsonObjectBuilder body) {
        return status(status, body.build().toString());
    }

    /**
     * A response whose body is already JSON text (a hot path writes its few bytes itself). Handed to JAX-RS as
     * UTF-8 bytes: a String entity costs a Writer with an 8 KiB encoder buffer per response; the bytes are the same.
     */
    public static Response status(int status, String json) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(json.getBytes(StandardCharsets.UTF_8)).build();
    }

    public static JsonObjectBuilder object() {
        return Jsonp.BUILDERS.createObjectBuilder();
    }

    /** Every error body: {@code {"error":"<code>","message":"<readable text>"}}. */
    public static Response error(int status, String code, String message) {
        return status(status, object().add("error", code).add("message", message));
    }

    /**
     * 413 {@code payload_too_large}: the body passed {@code max} bytes and the rest of it was not read, so the answer
     * says {@code Connection: close} (see {@link UnreadBodyClose}). A 413 {@code too_many_items} is answered after
     * the whole body was read and keeps the connection.
     */
    public static Response bodyTooLarge(String what, int max) {
        return Response.fromResponse(error(413, "payload_too_large", what + " is larger than " + max + " bytes"))
                .header("Connection", "close").build();
    }

    public static Response unauthorized() {
        return Response.fromResponse(error(401, "unauthorized", "missing or wrong bearer key in the Authorization header"))
                .header("WWW-Authenticate", "Bearer").build();
    }
}
