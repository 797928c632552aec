package io.wspush.admin;

import io.wspush.auth.Keys;
import io.wspush.metrics.PushMetrics;
import io.wspush.rest.JsonResponses;
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
    Keys keys;

    @Inject
    PushMetrics metrics;

    @GET
    public Response metrics(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        if (!keys.metrics().accepts(authorization)) return JsonResponses.unauthorized();
        return Response.ok(metrics.scrape(), "text/plain; version=0.0.4; charset=utf-8").build();
    }
}
