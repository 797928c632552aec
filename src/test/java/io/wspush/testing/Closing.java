package io.wspush.testing;

/** Closing what a test started, all of it even when one close fails (a leaked server or Redis outlives the test). */
public final class Closing {

    private Closing() {
    }

    /** Closes each (nulls skipped), in the given order; a failing close does not stop the rest. */
    public static void closeAll(AutoCloseable... all) {
        for (AutoCloseable c : all) {
            if (c == null) continue;
            try {
                c.close();
            } catch (Exception ignored) {
                // closing what is left
            }
        }
    }
}
