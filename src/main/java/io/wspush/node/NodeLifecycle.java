package io.wspush.node;

import io.wspush.config.Config;
import io.wspush.config.ConfigurationError;
import io.wspush.config.Settings;
import jakarta.enterprise.inject.spi.CDI;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;
import jakarta.websocket.server.ServerContainer;

/** Starts the node with the web application and stops it (clients get 1001) on undeploy or shutdown. */
@WebListener
public class NodeLifecycle implements ServletContextListener {

    private Node node;

    @Override
    public void contextInitialized(ServletContextEvent sce) {
        try {
            Config config = Config.from(Settings.load(sce.getServletContext()::getInitParameter));
            node = Node.unproxied(CDI.current().select(Node.class).get());
            node.start(config);
            containerIdleTimeout(sce, config);
        } catch (IllegalStateException e) {
            throw ConfigurationError.reported(e); // a bad setting: one SEVERE line naming it; the deployment fails
        }
    }

    /**
     * Gives the container's WebSocket sessions their idle timeout from birth. Tyrus (Payara) schedules a new
     * session's first idle check at once with the container's default (0: none) and, if that check runs late, as on
     * a busy server, it finds the timeout a later {@code setMaxIdleTimeout} gave and closes the session as idle ("Session
     * closed by the container because of the idle timeout", 1006): 1 or 2 of 2,000 connections opened under load in
     * each benchmark run, before they could register. With the default set here the first check is a real one.
     */
    private static void containerIdleTimeout(ServletContextEvent sce, Config config) {
        // The container initializers (which put the ServerContainer there) run before the listeners.
        if (sce.getServletContext().getAttribute(ServerContainer.class.getName()) instanceof ServerContainer c) {
            c.setDefaultMaxSessionIdleTimeout(config.containerIdleTimeout().toMillis());
        }
    }

    @Override
    public void contextDestroyed(ServletContextEvent sce) {
        if (node != null) node.stop();
    }
}
