package io.wspush.push;

import io.wspush.auth.Keys;
import io.wspush.broker.Broker;
import io.wspush.config.Config;
import io.wspush.node.Node;
import io.wspush.rest.BoundedBody;
import io.wspush.rest.JsonResponses;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.io.IOException;
import java.io.InputStream;

/**
 * {@code POST /push}: the backend hands a message to one user's connections. Any content type is accepted, as
 * wserver did, so existing pushers keep working; the body is read with a hard size limit before parsing.
 */
@ApplicationScoped
@Path("/push")
public class PushResource {

    @Inject
    Node node;

    @Inject
    Keys keys;

    @Inject
    Config config;

    @POST
    @Produces(MediaType.APPLICATION_JSON)
    public Response push(@Context HttpHeaders headers, InputStream body) throws IOException {
        // Headers are read from HttpHeaders: a @HeaderParam String costs a reflective String(String) call each.
        if (!keys.push().accepts(headers.getHeaderString(HttpHeaders.AUTHORIZATION))) return JsonResponses.unauthorized();
        int max = config.pushMaxBytes();
        byte[] bytes = BoundedBody.read(headers.getHeaderString(HttpHeaders.CONTENT_LENGTH), body, max);
        if (bytes == null) {
            return JsonResponses.error(413, "payload_too_large", "push body is larger than " + max + " bytes");
        }
        PushRequest req;
        try {
            req = PushRequest.parse(bytes);
        } catch (PushRequest.Invalid e) {
            return JsonResponses.error(400, "bad_request", e.getMessage());
        }
        Broker.Published published;
        try {
            published = node.push(req.userId(), req.event(), req.message(), req.id());
        } catch (IllegalStateException stopping) {
            return JsonResponses.error(503, "unavailable", "wspush is shutting down; retry on another node");
        }
        // What JSON-P would write, without it; the offset only with history (0: history off or unreachable).
        return JsonResponses.status(200, published.offset() > 0
                ? "{\"delivered\":" + published.delivered() + ",\"offset\":" + published.offset() + "}"
                : "{\"delivered\":" + published.delivered() + "}");
    }
}
