package io.wspush.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * A WebSocket opening handshake over a plain socket, with whatever extra headers a test needs (e.g. a proxy's
 * {@code X-Forwarded-For}); answers the status code of the response: 101 when the upgrade was accepted.
 */
public final class Handshake {

    private Handshake() {
    }

    public static int status(URI ws, Map<String, String> extraHeaders) throws IOException {
        String head = head(ws, extraHeaders);
        String line = head.lines().findFirst().orElse("");
        String[] parts = line.split(" ");
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) throw new IOException("not an HTTP answer: " + line);
        return Integer.parseInt(parts[1]);
    }

    /** The response's status line and headers, as sent (up to the blank line). */
    public static String head(URI ws, Map<String, String> extraHeaders) throws IOException {
        try (Socket s = new Socket(ws.getHost(), ws.getPort())) {
            s.setSoTimeout(10_000);
            StringBuilder req = new StringBuilder("GET " + ws.getRawPath() + " HTTP/1.1\r\n")
                    .append("Host: ").append(ws.getHost()).append(':').append(ws.getPort()).append("\r\n")
                    .append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
                    .append("Sec-WebSocket-Key: ").append(Base64.getEncoder().encodeToString(new byte[16])).append("\r\n");
            extraHeaders.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
            req.append("\r\n");
            OutputStream out = s.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            for (String line = statusLine(in); !line.isEmpty(); line = statusLine(in)) {
                head.append(line).append('\n');
                if (head.length() > 16_000) break;
            }
            return head.toString();
        }
    }

    private static String statusLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != -1 && b != '\n'; ) {
            if (b != '\r') line.write(b);
            if (line.size() > 1000) break;
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }
}
