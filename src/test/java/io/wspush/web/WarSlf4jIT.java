package io.wspush.web;

import io.wspush.testing.LogCapture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarInputStream;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Both WARs route SLF4J (Lettuce's and Reactor's logging) to java.util.logging, the logging every container
 * prints: the WAR's jars hold exactly one SLF4J provider, slf4j-jdk14, and an SLF4J error from the WAR's own
 * slf4j-api, loaded apart from the test class path, arrives as a JUL SEVERE record.
 */
class WarSlf4jIT {

    static final String PROVIDER_SERVICE = "META-INF/services/org.slf4j.spi.SLF4JServiceProvider";

    @ParameterizedTest
    @ValueSource(strings = {"wspush.test.war", "wspush.test.eeWar"})
    void slf4jGoesToJavaUtilLogging(String warProperty) throws Exception {
        Path war = Path.of(System.getProperty(warProperty, warProperty.endsWith("eeWar") ? "target/wspush-ee.war" : "target/wspush.war"));
        Path lib = Files.createTempDirectory("wspush-war-lib");
        List<String> providers = new ArrayList<>();
        List<URL> slf4j = new ArrayList<>();
        try (JarFile jar = new JarFile(war.toFile())) {
            for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                JarEntry entry = e.nextElement();
                if (!entry.getName().startsWith("WEB-INF/lib/") || !entry.getName().endsWith(".jar")) continue;
                String file = entry.getName().substring("WEB-INF/lib/".length());
                Path copy = lib.resolve(file);
                try (InputStream in = jar.getInputStream(entry)) {
                    Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
                }
                if (hasEntry(copy, PROVIDER_SERVICE)) providers.add(file);
                if (file.startsWith("slf4j-")) slf4j.add(copy.toUri().toURL());
            }
        }
        assertEquals(1, providers.size(), "SLF4J providers in " + war + ": " + providers);
        assertTrue(providers.get(0).startsWith("slf4j-jdk14-"), providers.toString());

        LogCapture log = LogCapture.of("wspush.slf4j-check").quiet();
        List<LogRecord> records = log.records();
        try (URLClassLoader loader = new URLClassLoader(slf4j.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
            Class<?> factory = loader.loadClass("org.slf4j.LoggerFactory");
            Object logger = factory.getMethod("getLogger", String.class).invoke(null, "wspush.slf4j-check");
            Method error = loader.loadClass("org.slf4j.Logger").getMethod("error", String.class);
            error.invoke(logger, "routed through SLF4J");
            assertEquals("org.slf4j.jul.JDK14LoggerFactory",
                    factory.getMethod("getILoggerFactory").invoke(null).getClass().getName());
        } finally {
            log.close();
            try (var files = Files.list(lib)) {
                for (Path p : files.toList()) Files.delete(p);
            }
            Files.delete(lib);
        }
        assertEquals(1, records.size(), records.toString());
        assertEquals(Level.SEVERE, records.get(0).getLevel());
        assertEquals("routed through SLF4J", records.get(0).getMessage());
    }

    private static boolean hasEntry(Path jar, String name) throws IOException {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            for (var e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                if (e.getName().equals(name)) return true;
            }
        }
        return false;
    }
}
