package io.wspush.node;

import io.wspush.config.Config;
import io.wspush.config.ConfigurationError;
import io.wspush.config.Settings;
import jakarta.enterprise.inject.spi.CDI;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;

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
        } catch (IllegalStateException e) {
            throw ConfigurationError.reported(e); // a bad setting: one SEVERE line naming it; the deployment fails
        }
    }

    @Override
    public void contextDestroyed(ServletContextEvent sce) {
        if (node != null) node.stop();
    }
}
