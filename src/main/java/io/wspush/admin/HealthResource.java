package io.wspush.admin;

import io.wspush.node.Node;
import io.wspush.web.Json;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * {@code GET /health}, for load balancers: 200 ready, 200 degraded (local delivery works, e.g. broker down),
 * 503 while starting or stopping. No key needed; it reveals no user data.
 */
@ApplicationScoped
@Path("/health")
public class HealthResource {

    @Inject
    Node node;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response health() {
        Node.State state = node.state();
        if (state != Node.State.RUNNING) {
            return Json.status(503, Json.object().add("status", state == Node.State.STARTING ? "starting" : "stopping"));
        }
        String problem = node.problem();
        var body = Json.object().add("status", problem == null ? "ready" : "degraded");
        if (problem != null) body.add("reason", problem);
        body.add("broker", node.config().broker())
                .add("connections", node.registry().openCount())
                .add("users", node.registry().userCount());
        return Json.ok(body);
    }
}
