package io.wspush.web;

import io.wspush.config.Settings;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterRegistration;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;

import java.util.EnumSet;

/**
 * Installs {@link DemoGuardFilter} in demo mode ({@code wspush.demo=true}) only, ahead of every other filter.
 *
 * <p>Registered here, not in web.xml, because a web.xml filter does not see the WebSocket handshake everywhere:
 * Jetty 12 prepends its upgrade filter to the web.xml filters, so the {@code /ws} upgrade was answered 101 without
 * passing the guard. A filter mapped programmatically with {@code isMatchAfter=false} from a listener (which runs
 * after the containers' own initializers) goes in front of it on Jetty, Tomcat (WsFilter) and Payara (Tyrus'
 * filter); DemoContainersIT checks all three.
 */
@WebListener
public class DemoGuard implements ServletContextListener {

    @Override
    public void contextInitialized(ServletContextEvent sce) {
        ServletContext ctx = sce.getServletContext();
        // A bad value is reported by the node's own start (Config.from), with the same message.
        boolean demo;
        try {
            demo = Settings.load(ctx::getInitParameter).flag("demo", false);
        } catch (IllegalStateException e) {
            return;
        }
        if (!demo) return;
        FilterRegistration.Dynamic guard = ctx.addFilter("wspush-demo-guard", DemoGuardFilter.class);
        guard.setAsyncSupported(true);
        guard.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
    }
}
