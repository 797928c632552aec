package io.wspush.admin;

import io.wspush.node.Node;
import io.wspush.web.Json;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

/** {@code GET /metrics}: Prometheus text format, behind the metrics key (defaults to the admin/push key). */
@ApplicationScoped
@Path("/metrics")
public class MetricsResource {

    @Inject
    Node node;

    @GET
    public Response metrics(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        if (!node.metricsAllowed(authorization)) return Json.unauthorized();
        return Response.ok(node.metrics().scrape(), "text/plain; version=0.0.4; charset=utf-8").build();
    }
}
