package io.wspush.containers;

import java.nio.file.Path;

/**
 * The three containers, for parameterized tests:
 *
 * <pre>{@code
 * @ParameterizedTest @EnumSource(ContainerKind.class)
 * void pushes(ContainerKind kind) {
 *     try (RunningContainer c = kind.start(kind.options().setting("token.secret", SECRET).readyPath("/health"))) { ... }
 * }
 * }</pre>
 */
public enum ContainerKind {
    JETTY("jetty", false),
    TOMCAT("tomcat", false),
    PAYARA("payara", true);

    /** Failsafe sets these to target/wspush.war (Jersey, Weld inside) and target/wspush-ee.war (thin). */
    public static final String WAR_PROPERTY = "wspush.test.war";
    public static final String EE_WAR_PROPERTY = "wspush.test.eeWar";

    private final String id;
    private final boolean fullEeServer;

    ContainerKind(String id, boolean fullEeServer) {
        this.id = id;
        this.fullEeServer = fullEeServer;
    }

    public String id() {
        return id;
    }

    /** Payara brings its own Weld, Jersey, Tyrus and Yasson and needs the thin WAR. */
    public boolean fullEeServer() {
        return fullEeServer;
    }

    /** The WAR this kind runs: the thin one for a full EE server, else the fat one. */
    public Path war() {
        String property = fullEeServer ? EE_WAR_PROPERTY : WAR_PROPERTY;
        String v = System.getProperty(property);
        return Path.of(v != null && !v.isBlank() ? v : fullEeServer ? "target/wspush-ee.war" : "target/wspush.war");
    }

    /** Options for {@link #war()}. */
    public ContainerOptions options() {
        return ContainerOptions.war(war());
    }

    public RunningContainer start(ContainerOptions options) {
        return switch (this) {
            case JETTY -> JettyContainer.start(options);
            case TOMCAT -> TomcatContainer.start(options);
            case PAYARA -> PayaraContainer.start(options);
        };
    }

    public RunningContainer start() {
        return start(options());
    }
}
