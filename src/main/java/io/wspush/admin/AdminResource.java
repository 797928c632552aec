package io.wspush.admin;

import io.wspush.json.FlatJson;
import io.wspush.node.Node;
import io.wspush.web.Json;
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

import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
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

    /** How many connections the user has on this node (0 when none): "is this user online here?" */
    @GET
    @Path("/users/{userId}")
    @Produces(MediaType.APPLICATION_JSON)
    public Response user(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("userId") String userId) {
        if (!node.adminAllowed(authorization)) return Json.unauthorized();
        return Json.ok(Json.object().add("userId", userId).add("connections", node.registry().connections(userId).length));
    }

    @POST
    @Path("/disconnect")
    @Produces(MediaType.APPLICATION_JSON)
    public Response disconnect(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, InputStream body) {
        if (!node.adminAllowed(authorization)) return Json.unauthorized();
        FlatJson.Result r = FlatJson.parse(new InputStreamReader(new LimitedStream(body, MAX_BODY),
                StandardCharsets.UTF_8), Set.of("userId"));
        if (!r.ok()) return Json.error(400, "bad_request", r.error());
        String userId = r.get("userId");
        if (userId == null || userId.isEmpty()) return Json.error(400, "bad_request", "userId is required");
        try {
            return Json.ok(Json.object().add("disconnected", node.disconnect(userId)));
        } catch (IllegalStateException stopping) {
            return Json.error(503, "unavailable", "wspush is shutting down");
        }
    }

    /** Stops reading after {@code max} bytes, so a huge admin body cannot tie up memory. */
    private static final class LimitedStream extends java.io.FilterInputStream {
        private int left;

        LimitedStream(InputStream in, int max) {
            super(in);
            this.left = max;
        }

        @Override
        public int read() throws java.io.IOException {
            if (left <= 0) return -1;
            int b = super.read();
            if (b >= 0) left--;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws java.io.IOException {
            if (left <= 0) return -1;
            int n = super.read(b, off, Math.min(len, left));
            if (n > 0) left -= n;
            return n;
        }
    }
}
