package io.wspush.presence;

import io.wspush.auth.Keys;
import io.wspush.broker.Presence;
import io.wspush.config.Config;
import io.wspush.json.Jsonp;
import io.wspush.node.Node;
import io.wspush.rest.BoundedBody;
import io.wspush.rest.JsonResponses;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.stream.JsonGenerator;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.util.List;

/**
 * {@code GET /presence/{userId}} and {@code POST /presence}: whether users are online and on how many registered
 * connections, summed over every node (see docs/PROTOCOL.md, "Presence"). Behind the presence key.
 */
@ApplicationScoped
@Path("/presence")
public class PresenceResource {

    /** Most users one {@code POST /presence} may name. */
    public static final int MAX_USERS = 1000;

    @Inject
    Node node;

    @Inject
    Keys keys;

    @Inject
    Config config;

    @GET
    @Path("{userId}")
    @Produces(MediaType.APPLICATION_JSON)
    public Response one(@Context HttpHeaders headers, @PathParam("userId") String userId) {
        if (!keys.presence().accepts(headers.getHeaderString(HttpHeaders.AUTHORIZATION))) return JsonResponses.unauthorized();
        return answer(List.of(userId), false);
    }

    @POST
    @Produces(MediaType.APPLICATION_JSON)
    public Response many(@Context HttpHeaders headers, InputStream body) throws IOException {
        if (!keys.presence().accepts(headers.getHeaderString(HttpHeaders.AUTHORIZATION))) return JsonResponses.unauthorized();
        int max = config.pushMaxBytes();
        byte[] bytes = BoundedBody.read(headers.getHeaderString(HttpHeaders.CONTENT_LENGTH), body, max);
        if (bytes == null) return JsonResponses.bodyTooLarge("presence body", max);
        PresenceRequest req;
        try {
            req = PresenceRequest.parse(bytes, MAX_USERS);
        } catch (PresenceRequest.Invalid e) {
            return JsonResponses.error(400, "bad_request", e.getMessage());
        } catch (PresenceRequest.TooMany e) {
            return JsonResponses.error(413, "too_many_items", e.getMessage());
        }
        return answer(req.userIds(), true);
    }

    /** Looks the users up and answers one object ({@code many} false) or {@code {"users":[...]}}. */
    private Response answer(List<String> userIds, boolean many) {
        int[] n;
        try {
            n = node.presence(userIds);
        } catch (Presence.Unavailable e) {
            return JsonResponses.error(503, "unavailable", e.getMessage());
        } catch (IllegalStateException stopping) {
            return JsonResponses.error(503, "unavailable", "wspush is shutting down; retry on another node");
        }
        StringWriter w = new StringWriter();
        try (JsonGenerator g = Jsonp.GENERATORS.createGenerator(w)) {
            if (many) g.writeStartObject().writeStartArray("users");
            for (int i = 0; i < n.length; i++) user(g, userIds.get(i), n[i]);
            if (many) g.writeEnd().writeEnd();
        }
        return JsonResponses.status(200, w.toString());
    }

    private static void user(JsonGenerator g, String userId, int connections) {
        g.writeStartObject().write("userId", userId).write("online", connections > 0)
                .write("connections", connections).writeEnd();
    }
}
