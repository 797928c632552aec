package io.wspush.containers;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Java agent in every child JVM ({@code -javaagent:target/containers/parent-watch.jar}): a daemon thread reads
 * the child's stdin, a pipe held by the launching JVM, and exits the child when it closes. That happens when the
 * test JVM ends in any way, SIGKILL included, so no server outlives the build. The agent jar holds only this class
 * and is written by the launcher; it works the same for {@code java -jar payara-micro.jar}.
 */
public final class ParentWatch {

    private ParentWatch() {
    }

    public static void premain(String args) {
        Thread watch = new Thread(ParentWatch::watch, "wspush-parent-watch");
        watch.setDaemon(true);
        watch.start();
    }

    public static void premain(String args, java.lang.instrument.Instrumentation inst) {
        premain(args);
    }

    private static void watch() {
        InputStream in = System.in;
        byte[] buf = new byte[256];
        try {
            while (in.read(buf) >= 0) {
                // nothing is ever sent; only the end of the stream matters
            }
        } catch (IOException ignored) {
            // a broken pipe means the same
        }
        System.err.println("[parent-watch] stdin closed (the launcher stopped this process or is gone): exiting");
        Thread halt = new Thread(() -> {
            try {
                Thread.sleep(20_000);
            } catch (InterruptedException ignored) {
                // halt now
            }
            Runtime.getRuntime().halt(137);
        }, "wspush-parent-watch-halt");
        halt.setDaemon(true);
        halt.start();
        System.exit(143);
    }

    /** Writes {@code dir/parent-watch.jar} (atomically, so parallel launchers are safe) and returns its path. */
    static synchronized Path agentJar(Path dir) {
        Path jar = dir.resolve("parent-watch.jar");
        String entry = ParentWatch.class.getName().replace('.', '/') + ".class";
        try (InputStream cls = ParentWatch.class.getClassLoader().getResourceAsStream(entry)) {
            if (cls == null) {
                throw new IllegalStateException("cannot read " + entry);
            }
            byte[] bytes = cls.readAllBytes();
            if (Files.isRegularFile(jar) && isCurrent(jar, entry, bytes)) {
                return jar;
            }
            Manifest mf = new Manifest();
            mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            mf.getMainAttributes().put(new Attributes.Name("Premain-Class"), ParentWatch.class.getName());
            Path tmp = Files.createTempFile(dir, "parent-watch", ".jar.tmp");
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(tmp), mf)) {
                out.putNextEntry(new JarEntry(entry));
                out.write(bytes);
                out.closeEntry();
            }
            Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + jar, e);
        }
    }

    private static boolean isCurrent(Path jar, String entry, byte[] bytes) throws IOException {
        try (java.util.jar.JarFile jf = new java.util.jar.JarFile(jar.toFile())) {
            JarEntry e = jf.getJarEntry(entry);
            if (e == null) {
                return false;
            }
            try (InputStream in = jf.getInputStream(e)) {
                return java.util.Arrays.equals(in.readAllBytes(), bytes);
            }
        }
    }
}
