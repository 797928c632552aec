package io.wspush.rest;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.ext.Provider;

/**
 * Says {@code Connection: close} on the errors answered without reading the request body (401 wrong key, 405, 415;
 * the 413 for a body over the limit says it itself, {@link JsonResponses#bodyTooLarge}, since a 413 for too many
 * items comes after the whole body was read and keeps the connection). The container closes such a connection anyway when the body has not arrived by then (Jetty 12 did so
 * without telling the client), and a keep-alive pusher then sent its next request into a closed socket; told, it
 * opens a new connection instead. Bodies are not read for them on purpose: an unauthenticated sender gets its answer
 * at once, without holding a thread while it sends.
 */
@Provider
public class UnreadBodyClose implements ContainerResponseFilter {

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        int status = response.getStatus();
        if (status < 400) return; // the hot path: one comparison
        if (status != 401 && status != 405 && status != 415) return;
        if (request.getLength() > 0 || request.getHeaderString("Transfer-Encoding") != null) {
            response.getHeaders().putSingle("Connection", "close");
        }
    }
}
