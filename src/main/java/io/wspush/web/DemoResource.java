package io.wspush.web;

import io.wspush.auth.TokenVerifier;
import io.wspush.config.Config;
import io.wspush.rest.JsonResponses;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.time.Duration;

/** Demo mode only (loopback clients, see {@link DemoGuardFilter}): hands out tokens so the page can sign in. */
@ApplicationScoped
@Path("/demo")
public class DemoResource {

    @Inject
    Config config;

    @Inject
    TokenVerifier tokens;

    @GET
    @Path("/token")
    @Produces(MediaType.APPLICATION_JSON)
    public Response token(@QueryParam("userId") String userId) {
        if (!config.demo()) throw new NotFoundException();
        if (userId == null || userId.isBlank() || userId.length() > 128) {
            return JsonResponses.error(400, "bad_request", "userId is required (1 to 128 characters)");
        }
        Duration ttl = config.demoTokenTtl(); // wspush.demo.token-ttl
        String token = tokens.issue(userId, ttl);
        long expiresAt = (System.currentTimeMillis() + ttl.toMillis()) / 1000; // the token's exp (whole seconds)
        return JsonResponses.ok(JsonResponses.object().add("token", token).add("userId", userId).add("expiresAt", expiresAt)
                .add("pushKey", Config.DEMO_PUSH_KEY));
    }
}
