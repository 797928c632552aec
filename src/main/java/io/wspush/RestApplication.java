package io.wspush;

import io.wspush.admin.AdminResource;
import io.wspush.admin.HealthResource;
import io.wspush.admin.MetricsResource;
import io.wspush.presence.PresenceResource;
import io.wspush.push.PushResource;
import io.wspush.rest.ErrorMapper;
import io.wspush.rest.UnreadBodyClose;
import io.wspush.web.DemoResource;
import jakarta.ws.rs.core.Application;

import java.util.Set;

/**
 * The JAX-RS application. Deliberately without {@code @ApplicationPath}: web.xml runs Jersey as a filter at
 * {@code /*} that forwards what it does not serve, so static files and {@code /ws} sit beside {@code POST /push}.
 */
public class RestApplication extends Application {

    @Override
    public Set<Class<?>> getClasses() {
        return Set.of(PushResource.class, AdminResource.class, HealthResource.class, MetricsResource.class,
                DemoResource.class, ErrorMapper.class, UnreadBodyClose.class, PresenceResource.class);
    }
}
