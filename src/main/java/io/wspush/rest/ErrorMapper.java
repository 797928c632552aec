package io.wspush.rest;

import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

import java.util.logging.Level;
import java.util.logging.Logger;

/** Turns JAX-RS errors (405, 406, 415, ...) and unexpected failures into JSON error bodies. */
@Provider
public class ErrorMapper implements ExceptionMapper<Throwable> {

    private static final Logger LOG = Logger.getLogger(ErrorMapper.class.getName());

    @Override
    public Response toResponse(Throwable t) {
        if (t instanceof NotFoundException nf) {
            // Left bare: the JAX-RS filter then passes the request on to static files.
            return nf.getResponse();
        }
        if (t instanceof WebApplicationException wae) {
            Response r = wae.getResponse();
            int status = r.getStatus();
            if (r.hasEntity()) return r;
            String text = switch (status) {
                case 405 -> "method not allowed here; allowed: " + r.getAllowedMethods();
                case 415 -> "unsupported content type";
                case 406 -> "not acceptable";
                default -> Response.Status.fromStatusCode(status) == null ? "error"
                        : Response.Status.fromStatusCode(status).getReasonPhrase();
            };
            Response json = JsonResponses.error(status, code(status), text);
            Response.ResponseBuilder b = Response.fromResponse(json);
            if (!r.getAllowedMethods().isEmpty()) b.allow(r.getAllowedMethods());
            return b.build();
        }
        LOG.log(Level.WARNING, "unexpected error", t);
        return JsonResponses.error(500, "internal_error", "internal error");
    }

    private static String code(int status) {
        return switch (status) {
            case 400 -> "bad_request";
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 405 -> "method_not_allowed";
            case 406 -> "not_acceptable";
            case 413 -> "payload_too_large";
            case 415 -> "unsupported_media_type";
            case 503 -> "unavailable";
            default -> "error";
        };
    }
}
