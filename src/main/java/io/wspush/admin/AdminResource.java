package io.wspush.admin;

import io.wspush.auth.Keys;
import io.wspush.json.FlatJson;
import io.wspush.node.Node;
import io.wspush.registry.SessionRegistry;
import io.wspush.rest.BoundedBody;
import io.wspush.rest.JsonResponses;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.io.IOException;
import java.io.InputStream;
import java.util.Set;

/**
 * Operator actions. {@code POST /admin/disconnect {"userId":"..."}} closes every connection of a user on every
 * node (4002) and refuses that user's tokens issued until now: what wserver called Drop, for logout or a revoked
 * account.
 */
@ApplicationScoped
@Path("/admin")
public class AdminResource {

    private static final int MAX_BODY = 4096;

    @Inject
    Node node;

    @Inject
    Keys keys;

    @Inject
    SessionRegistry registry;

    /** How many connections the user has on this node (0 when none): "is this user online here?" */
    @GET
    @Path("/users/{userId}")
    @Produces(MediaType.APPLICATION_JSON)
    public Response user(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("userId") String userId) {
        if (!keys.admin().accepts(authorization)) return JsonResponses.unauthorized();
        return JsonResponses.ok(JsonResponses.object().add("userId", userId)
                .add("connections", registry.connections(userId).length));
    }

    @POST
    @Path("/disconnect")
    @Produces(MediaType.APPLICATION_JSON)
    public Response disconnect(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                               @HeaderParam(HttpHeaders.CONTENT_LENGTH) String contentLength,
                               InputStream body) throws IOException {
        if (!keys.admin().accepts(authorization)) return JsonResponses.unauthorized();
        byte[] bytes = BoundedBody.read(contentLength, body, MAX_BODY);
        if (bytes == null) return JsonResponses.bodyTooLarge("body", MAX_BODY);
        FlatJson.Result r = FlatJson.parse(bytes, Set.of("userId"));
        if (!r.ok()) return JsonResponses.error(400, "bad_request", r.error());
        String userId = r.get("userId");
        if (userId == null || userId.isEmpty()) return JsonResponses.error(400, "bad_request", "userId is required");
        try {
            return JsonResponses.ok(JsonResponses.object().add("disconnected", node.disconnect(userId)));
        } catch (IllegalStateException stopping) {
            return JsonResponses.error(503, "unavailable", "wspush is shutting down");
        }
    }
}
