package io.wspush.rest;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/** Reads a request body of at most {@code max} bytes, refusing early when Content-Length already says more. */
public final class BoundedBody {

    private BoundedBody() {
    }

    /** @return the body, or null when it is larger than {@code max} */
    public static byte[] read(String contentLength, InputStream in, int max) throws IOException {
        int expected = 256;
        if (contentLength != null) {
            try {
                long declared = Long.parseLong(contentLength.trim());
                if (declared > max) return null;
                expected = (int) Math.max(0, declared);
            } catch (NumberFormatException ignored) {
                // The container rejects a bad Content-Length itself; fall back to counting.
            }
        }
        byte[] buf = new byte[Math.min(Math.max(expected, 16), max) + 1];
        int n = 0;
        while (true) {
            if (n == buf.length) {
                if (buf.length > max) return null;
                buf = Arrays.copyOf(buf, Math.min(buf.length * 2, max + 1));
            }
            int r = in.read(buf, n, buf.length - n);
            if (r < 0) break;
            n += r;
            if (n > max) return null;
        }
        return n == buf.length ? buf : Arrays.copyOf(buf, n);
    }
}
