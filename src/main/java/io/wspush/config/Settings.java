package io.wspush.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Every tunable of wspush. A setting {@code wspush.<name>} is looked up, first hit wins, as a Java system property
 * {@code wspush.<name>}, an environment variable {@code WSPUSH_<NAME>} (dots and dashes as underscores), then a
 * servlet context init parameter {@code wspush.<name>} (web.xml or the container's context descriptor).
 */
public final class Settings {

    private final UnaryOperator<String> contextParams;

    private Settings(UnaryOperator<String> contextParams) {
        this.contextParams = contextParams;
    }

    /** @param contextParams servlet context init parameters (may return null), e.g. {@code ctx::getInitParameter} */
    public static Settings load(UnaryOperator<String> contextParams) {
        return new Settings(contextParams);
    }

    public static String envName(String name) {
        return "WSPUSH_" + name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** Raw value or null when unset (blank counts as unset). */
    public String raw(String name) {
        String key = "wspush." + name;
        String v = System.getProperty(key);
        if (blank(v)) v = System.getenv(envName(name));
        if (blank(v) && contextParams != null) v = contextParams.apply(key);
        return blank(v) ? null : v.trim();
    }

    public String string(String name, String dflt) {
        String v = raw(name);
        return v == null ? dflt : v;
    }

    public long number(String name, long dflt, long min, long max) {
        String v = raw(name);
        if (v == null) return dflt;
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("wspush." + name + " must be a whole number, got '" + v + "'");
        }
        if (n < min || n > max) {
            throw new IllegalStateException("wspush." + name + " must be between " + min + " and " + max + ", got " + n);
        }
        return n;
    }

    public int integer(String name, int dflt, int min, int max) {
        return (int) number(name, dflt, min, max);
    }

    /** Seconds, with fractions allowed ("0.5") so tests can use short timeouts. */
    public Duration seconds(String name, double dflt, double min, double max) {
        String v = raw(name);
        double s = dflt;
        if (v != null) {
            try {
                s = Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw new IllegalStateException("wspush." + name + " must be a number of seconds, got '" + v + "'");
            }
        }
        if (s < min || s > max || Double.isNaN(s)) {
            throw new IllegalStateException("wspush." + name + " must be between " + min + " and " + max + " seconds");
        }
        return Duration.ofNanos((long) (s * 1_000_000_000L));
    }

    /** {@code true} or {@code false} (any case); anything else is refused, so a typo never flips a switch. */
    public boolean flag(String name, boolean dflt) {
        String v = raw(name);
        if (v == null) return dflt;
        if (v.equalsIgnoreCase("true")) return true;
        if (v.equalsIgnoreCase("false")) return false;
        throw new IllegalStateException("wspush." + name + " must be true or false, got '" + v + "'");
    }

    public List<String> list(String name, String dflt) {
        String v = string(name, dflt);
        return Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
