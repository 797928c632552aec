package io.wspush.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * A minimal blocking HTTP/1.1 keep-alive client for pushes ({@code POST /push}, or a peer's publisher path, see
 * {@link Target}): one socket per worker thread, no pooling, no TLS, no redirects. It costs a small fraction of the CPU of {@link java.net.http.HttpClient} per request, so the
 * load tool's own core is not what limits the push rate ({@code --push-client raw}). Not thread-safe.
 */
final class RawHttp implements AutoCloseable {

    /** Status and body of one response. */
    record Response(int status, String body) {
    }

    private final URI uri;
    private final int timeoutMillis;
    /** The request after its path: headers up to "Content-Length: ". */
    private final byte[] headers;
    private String lastPath;
    private final ByteArrayOutputStream request = new ByteArrayOutputStream(1024);
    private byte[] requestLine;
    private Socket socket;
    private OutputStream out;
    private InputStream in;

    /** @param accept an Accept header value, or null for none (Nchan answers JSON only when asked) */
    RawHttp(URI uri, String authorization, String contentType, String accept, int timeoutMillis) {
        this.uri = uri;
        this.timeoutMillis = timeoutMillis;
        this.headers = (" HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                + "\r\nAuthorization: " + authorization + "\r\nContent-Type: " + contentType
                + (accept == null ? "" : "\r\nAccept: " + accept) + "\r\nContent-Length: ")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** POSTs to the URI given at construction. */
    Response post(String body) throws IOException {
        return post(uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath(), body);
    }

    /** POSTs to another path on the same server and connection (an absolute path). */
    Response post(String path, String body) throws IOException {
        if (!path.equals(lastPath)) {
            requestLine = ("POST " + path).getBytes(StandardCharsets.US_ASCII);
            lastPath = path;
        }
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        // A kept-alive connection the server closed meanwhile fails on first use: retry once on a fresh one.
        for (int attempt = 0; ; attempt++) {
            boolean fresh = socket == null;
            try {
                if (fresh) open();
                // One write, so one segment: the servers see each request arrive whole, as from a buffered client.
                request.reset();
                request.write(requestLine);
                request.write(headers);
                request.write((b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                request.write(b);
                request.writeTo(out);
                out.flush();
                return read();
            } catch (IOException e) {
                close();
                if (fresh || attempt > 0) throw e;
            }
        }
    }

    private void open() throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), timeoutMillis);
        s.setSoTimeout(timeoutMillis);
        socket = s;
        out = s.getOutputStream();
        in = new BufferedInputStream(s.getInputStream(), 8192);
    }

    private Response read() throws IOException {
        String status = line();
        if (!status.startsWith("HTTP/1.")) throw new IOException("bad status line: " + status);
        int code = Integer.parseInt(status.substring(9, 12));
        long length = -1;
        boolean chunked = false;
        boolean close = status.startsWith("HTTP/1.0");
        for (String h; !(h = line()).isEmpty(); ) {
            int colon = h.indexOf(':');
            if (colon < 0) continue;
            String name = h.substring(0, colon).trim();
            String value = h.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Content-Length")) length = Long.parseLong(value);
            else if (name.equalsIgnoreCase("Transfer-Encoding")) chunked = value.toLowerCase().contains("chunked");
            else if (name.equalsIgnoreCase("Connection")) close = value.equalsIgnoreCase("close");
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (chunked) {
            for (long n; (n = Long.parseLong(line().split(";")[0].trim(), 16)) > 0; ) {
                copy(body, n);
                line();
            }
            while (!line().isEmpty()) {
                // trailers
            }
        } else if (length >= 0) {
            copy(body, length);
        } else {
            in.transferTo(body);
            close = true;
        }
        if (close) close();
        return new Response(code, body.toString(StandardCharsets.UTF_8));
    }

    private void copy(ByteArrayOutputStream to, long n) throws IOException {
        if (n > 16 * 1024 * 1024) throw new IOException("response too large");
        byte[] buf = in.readNBytes((int) n);
        if (buf.length != n) throw new IOException("connection closed mid-body");
        to.write(buf);
    }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder(64);
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) throw new IOException("connection closed");
            if (c != '\r') sb.append((char) c);
            if (sb.length() > 16 * 1024) throw new IOException("header line too long");
        }
        return sb.toString();
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        socket = null;
    }
}
