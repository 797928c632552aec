package io.wspush.containers;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A bad setting passed the container's way (Jetty, Payara: -D; Tomcat: environment variable) fails the deployment,
 * and the container's log holds one line naming the setting, no stack trace of it and no secret value.
 */
class ConfigErrorContainersIT {

    static final String SHORT_SECRET = "short-secret-value-4711";
    static final String KEY = "config-error-push-key-0123456789";
    static final String LINE = "wspush: configuration error: wspush.token.secret must be at least 32 bytes (RFC 7518 section 3.2)";

    @ParameterizedTest
    @EnumSource(ContainerKind.class)
    void aBadSettingFailsTheDeploymentWithOneLineNamingIt(ContainerKind kind) throws IOException {
        String name = "config-error-" + kind.id();
        ContainerOptions o = kind.options().name(name)
                .setting("token.secret", SHORT_SECRET)
                .setting("push.key", KEY)
                .readyPath("/health");
        if (kind != ContainerKind.PAYARA) o.startTimeout(Duration.ofSeconds(60));
        IllegalStateException failed = assertThrows(IllegalStateException.class, () -> kind.start(o).close(),
                kind + " must refuse the deployment");

        Path log = ContainerProcess.containersDir().resolve(name + ".log");
        // The launcher's own "###" lines echo the command line, -D settings included: not the container's log.
        List<String> lines = Files.readAllLines(log).stream().filter(l -> !l.startsWith("###")).toList();
        String why = " (" + kind + " log: " + log + ")\n" + failed.getMessage();
        assertEquals(1, lines.stream().filter(l -> l.contains(LINE)).count(), "exactly one line names the setting" + why);
        assertEquals(1, lines.stream().filter(l -> l.contains("wspush: configuration error")).count(), why);
        for (String l : lines) {
            assertFalse(l.contains(SHORT_SECRET) || l.contains(KEY), "the log holds a secret value: " + l + why);
            assertFalse(l.contains("io.wspush.config.Config.from"), "a stack trace of the bad setting: " + l + why);
        }
    }
}
