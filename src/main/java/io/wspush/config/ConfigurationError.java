package io.wspush.config;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A bad setting found at start, told as one line: {@code wspush: configuration error: <message>} at SEVERE in the
 * container's log (java.util.logging, which every container prints, also under {@code mvn -q jetty:run}), then
 * thrown so the container still refuses the deployment.
 *
 * <p>A bad setting is an IllegalStateException whose message starts with {@code wspush.<name>}, as Config, Settings
 * and the broker factory write them; their messages name the setting and the expected form, never a secret value.
 *
 * <p>The exception thrown on carries no stack trace and no cause: the container reports it in one line too
 * (Jetty's "Failed startup of context", Tomcat's "Exception sending context initialized event") instead of a
 * stack trace that only says Config.from was called at start.
 */
public final class ConfigurationError extends IllegalStateException {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = Logger.getLogger(ConfigurationError.class.getName());
    static final String PREFIX = "wspush: configuration error: ";

    private ConfigurationError(String message) {
        super(message);
    }

    /**
     * For {@code throw ConfigurationError.reported(e)}: a bad setting is logged once and comes back as a
     * ConfigurationError; any other exception comes back unchanged and unlogged.
     */
    public static IllegalStateException reported(IllegalStateException e) {
        String m = e.getMessage();
        if (e instanceof ConfigurationError || m == null || !m.startsWith("wspush.")) return e;
        LOG.log(Level.SEVERE, PREFIX + m);
        return new ConfigurationError(m);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
