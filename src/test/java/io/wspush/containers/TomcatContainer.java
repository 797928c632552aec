package io.wspush.containers;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Embedded Tomcat 10.1 in a child JVM ({@link TomcatMain}) whose classpath holds only the Tomcat jars. Settings
 * reach the app as environment variables {@code WSPUSH_<NAME>} (the route a container image would use).
 */
public final class TomcatContainer {

    /** File with the Tomcat jars, one classpath line (maven-dependency-plugin build-classpath). */
    public static final String CLASSPATH_PROPERTY = "wspush.test.tomcatClasspath";

    /** What catalina.sh adds, so that Tomcat's leak detection on stop works as in production. */
    private static final List<String> ADD_OPENS = List.of(
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.rmi/sun.rmi.transport=ALL-UNNAMED");

    /**
     * By name only: the test JVM never loads the container's classes, so failsafe may leave them off its class
     * path (Tomcat's jars there would put Tomcat's WebSocket initializer into any in-process Jetty).
     */
    private static final String MAIN = "io.wspush.containers.TomcatMain";

    private TomcatContainer() {
    }

    public static RunningContainer start(Path war) {
        return start(ContainerOptions.war(war));
    }

    /** {@link ContainerOptions#containerArg} takes connector properties here: "maxConnections=20000". */
    public static RunningContainer start(ContainerOptions o) {
        if (!o.prebootCommands.isEmpty()) {
            throw new IllegalArgumentException("preboot commands are for Payara");
        }
        String classpath = ContainerProcess.childClasspath(CLASSPATH_PROPERTY, "tomcat.classpath", TomcatContainer.class);
        Map<String, String> env = new LinkedHashMap<>();
        o.settings.forEach((k, v) -> env.put(ContainerProcess.envName(k), v));
        return ContainerProcess.start(ContainerKind.TOMCAT, o, Duration.ofSeconds(90), env, List.of(),
                (port, work) -> {
                    List<String> cmd = ContainerProcess.javaCommand(o, "256m", work);
                    cmd.addAll(ADD_OPENS);
                    cmd.add("-Djava.util.logging.manager=org.apache.juli.ClassLoaderLogManager");
                    cmd.addAll(List.of("-cp", classpath, MAIN,
                            o.war.toString(), Integer.toString(port), work.toString()));
                    cmd.addAll(o.containerArgs);
                    return cmd;
                });
    }
}
