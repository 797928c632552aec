package io.wspush.admin;

import io.wspush.auth.Keys;
import io.wspush.config.Config;
import io.wspush.node.Node;
import io.wspush.registry.SessionRegistry;
import io.wspush.rest.JsonResponses;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * {@code GET /health}, for load balancers: 200 ready, 200 degraded (local delivery works, e.g. broker down),
 * 503 while starting or stopping. No key needed for the status and the connection counts; why the node is degraded
 * (which names the Redis host and the raw error) and the broker kind only with the admin or metrics key.
 */
@ApplicationScoped
@Path("/health")
public class HealthResource {

    @Inject
    Node node;

    @Inject
    Config config;

    @Inject
    SessionRegistry registry;

    @Inject
    Keys keys;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response health(@HeaderParam("Authorization") String authorization) {
        Node.State state = node.state();
        if (state != Node.State.RUNNING) {
            return JsonResponses.status(503, JsonResponses.object()
                    .add("status", state == Node.State.STARTING ? "starting" : "stopping"));
        }
        String problem = node.problem();
        var body = JsonResponses.object().add("status", problem == null ? "ready" : "degraded");
        if (authorization != null && (keys.admin().accepts(authorization) || keys.metrics().accepts(authorization))) {
            if (problem != null) body.add("reason", problem);
            body.add("broker", config.broker());
        }
        body.add("connections", registry.openCount())
                .add("users", registry.userCount());
        return JsonResponses.ok(body);
    }
}
