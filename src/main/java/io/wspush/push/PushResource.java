package io.wspush.push;

import io.wspush.node.Node;
import io.wspush.web.Json;
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

    /** The node behind the CDI proxy, looked up once: three proxied calls per push are three context lookups. */
    private volatile Node real;

    private Node node() {
        Node n = real;
        if (n == null) real = n = Node.real(node);
        return n;
    }

    @POST
    @Produces(MediaType.APPLICATION_JSON)
    public Response push(@Context HttpHeaders headers, InputStream body) throws IOException {
        // Headers are read from HttpHeaders: a @HeaderParam String costs a reflective String(String) call each.
        Node node = node();
        if (!node.pushAllowed(headers.getHeaderString(HttpHeaders.AUTHORIZATION))) return Json.unauthorized();
        int max = node.config().pushMaxBytes();
        byte[] bytes = BoundedBody.read(headers.getHeaderString(HttpHeaders.CONTENT_LENGTH), body, max);
        if (bytes == null) {
            return Json.error(413, "payload_too_large", "push body is larger than " + max + " bytes");
        }
        PushRequest req;
        try {
            req = PushRequest.parse(bytes);
        } catch (PushRequest.Invalid e) {
            return Json.error(400, "bad_request", e.getMessage());
        }
        int delivered;
        try {
            delivered = node.publish(req.userId(), req.event(), req.message());
        } catch (IllegalStateException stopping) {
            return Json.error(503, "unavailable", "wspush is shutting down; retry on another node");
        }
        return Json.status(200, "{\"delivered\":" + delivered + "}"); // what JSON-P would write, without it
    }
}
