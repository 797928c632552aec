package io.wspush.containers;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Embedded Jetty 12.1 (ee10) in a child JVM ({@link JettyMain}) whose classpath holds only the Jetty jars, so the
 * WAR's own Weld and Jersey are the only ones. Settings reach the app as {@code -Dwspush.<name>=<value>}.
 */
public final class JettyContainer {

    /** File with the Jetty jars, one classpath line (maven-dependency-plugin build-classpath). */
    public static final String CLASSPATH_PROPERTY = "wspush.test.jettyClasspath";

    /**
     * By name only: the test JVM never loads the container's classes, so failsafe may leave them off its class
     * path (Tomcat's jars there would put Tomcat's WebSocket initializer into any in-process Jetty).
     */
    private static final String MAIN = "io.wspush.containers.JettyMain";

    private JettyContainer() {
    }

    public static RunningContainer start(Path war) {
        return start(ContainerOptions.war(war));
    }

    public static RunningContainer start(ContainerOptions o) {
        if (!o.containerArgs.isEmpty() || !o.prebootCommands.isEmpty()) {
            throw new IllegalArgumentException("JettyMain takes no container arguments or preboot commands");
        }
        String classpath = ContainerProcess.childClasspath(CLASSPATH_PROPERTY, "jetty.classpath", JettyContainer.class);
        return ContainerProcess.start(ContainerKind.JETTY, o, Duration.ofSeconds(90), Map.of(), List.of(),
                (port, work) -> {
                    List<String> cmd = ContainerProcess.javaCommand(o, "256m", work);
                    o.settings.forEach((k, v) -> cmd.add("-Dwspush." + k + "=" + v));
                    cmd.addAll(List.of("-cp", classpath, MAIN,
                            o.war.toString(), Integer.toString(port), work.toString()));
                    return cmd;
                });
    }
}
