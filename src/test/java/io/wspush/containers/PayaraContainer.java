package io.wspush.containers;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;

/**
 * Payara Micro 6 ({@code java -jar payara-micro.jar}) running the thin WAR at "/". Settings reach the app as
 * {@code -Dwspush.<name>=<value>}.
 *
 * <p>The preboot command file binds the HTTP listener to 127.0.0.1 (Payara Micro binds 0.0.0.0 otherwise) and
 * switches off Payara's MicroProfile Metrics, Health and OpenAPI endpoints and moves them to /_payara_*: they
 * otherwise answer {@code /openapi}, {@code /metrics/} and the like next to an app deployed at "/". Hazelcast (port
 * 6900 and up) and phone-home are off.
 *
 * <p>Payara logs a failed deployment and then still says it is ready (and answers 500), so a {@code [SEVERE]} log
 * line or a failed boot command during startup fails the start.
 */
public final class PayaraContainer {

    /** Path of payara-micro.jar (maven-dependency-plugin copy); default target/containers/payara-micro.jar. */
    public static final String JAR_PROPERTY = "wspush.test.payaraJar";

    /** The preboot commands every start uses; {@link ContainerOptions#prebootCommand} adds more. */
    public static final List<String> PREBOOT_COMMANDS = List.of(
            "set configs.config.server-config.network-config.network-listeners.network-listener.http-listener.address=127.0.0.1",
            // Payara's MicroProfile endpoints live at /metrics, /health and /openapi beside an app at "/". Disabled
            // alone, OpenAPI still answers /openapi with 403 "disabled", so each is also moved out of the way.
            // set-metrics-configuration fails before boot ("started at level -2 but it has a run level of 10"); the
            // dotted names work for metrics (domain.xml has the element) but not for the other two ("No
            // configuration found"), which take their asadmin commands.
            "set configs.config.server-config.microprofile-metrics-configuration.enabled=false",
            "set configs.config.server-config.microprofile-metrics-configuration.endpoint=_payara_metrics",
            "set-microprofile-healthcheck-configuration --enabled=false --endpoint=_payara_health",
            "set-openapi-configuration --enabled=false --endpoint=_payara_openapi");

    private static final List<Pattern> FAILURES = List.of(
            Pattern.compile("\\[SEVERE\\]"),
            Pattern.compile("^SEVERE: "), // before Payara's own log format is set up
            Pattern.compile("Boot Command \\S+ failed"),
            Pattern.compile("Exception while loading the app"));

    private PayaraContainer() {
    }

    /** Payara's own logging.properties without ANSI colour codes in the log file; null if the jar has none. */
    private static Path plainLogProperties(Path jar, Path work) throws IOException {
        try (JarFile jf = new JarFile(jar.toFile())) {
            JarEntry e = jf.getJarEntry("MICRO-INF/domain/logging.properties");
            if (e == null) {
                return null;
            }
            String props;
            try (InputStream in = jf.getInputStream(e)) {
                props = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            }
            Path file = work.resolve("logging.properties");
            Files.writeString(file, props.replace("ansiColor=true", "ansiColor=false"), StandardCharsets.ISO_8859_1);
            return file;
        }
    }

    public static RunningContainer start(Path war) {
        return start(ContainerOptions.war(war));
    }

    public static RunningContainer start(ContainerOptions o) {
        String j = System.getProperty(JAR_PROPERTY);
        return ContainerProcess.start(ContainerKind.PAYARA, o, Duration.ofSeconds(180), Map.of(), FAILURES,
                (port, work) -> {
                    Path jar = j != null && !j.isBlank() ? Path.of(j)
                            : ContainerProcess.containersDir().resolve("payara-micro.jar");
                    if (!Files.isRegularFile(jar)) {
                        throw new IllegalStateException(jar + " is missing: run `mvn pre-integration-test` "
                                + "(maven-dependency-plugin copy) or set -D" + JAR_PROPERTY);
                    }
                    List<String> preboot = new ArrayList<>(PREBOOT_COMMANDS);
                    preboot.addAll(o.prebootCommands);
                    Path prebootFile = work.resolve("preboot.asadmin");
                    Files.write(prebootFile, preboot);
                    Path logProperties = plainLogProperties(jar, work);
                    Path root = work.resolve("root");
                    ContainerProcess.deleteTree(root); // a fresh domain for every attempt
                    Files.createDirectories(root); // Payara refuses a --rootdir that does not exist (with --unpackdir)
                    List<String> cmd = ContainerProcess.javaCommand(o, "512m", work);
                    o.settings.forEach((k, v) -> cmd.add("-Dwspush." + k + "=" + v));
                    cmd.addAll(List.of("-jar", jar.toString(),
                            "--nohazelcast", "--disablephonehome",
                            "--rootdir", root.toString(),
                            "--port", Integer.toString(port),
                            "--contextroot", "/",
                            "--prebootcommandfile", prebootFile.toString()));
                    if (logProperties != null) {
                        cmd.addAll(List.of("--logproperties", logProperties.toString()));
                    }
                    cmd.addAll(o.containerArgs);
                    cmd.addAll(List.of("--deploy", o.war.toString()));
                    return cmd;
                });
    }
}
