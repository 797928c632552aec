package io.wspush.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** HTTP/1.1 over a plain socket, for what a client library hides: when a body is sent, and whether the server closes. */
public final class RawHttp {

    private RawHttp() {
    }

    /** One answer: its head and body as text, and whether the server closed the connection after it. */
    public record Answer(int status, String head, String body, boolean closedAfter) {
        public boolean says(String header, String value) {
            return head.toLowerCase(Locale.ROOT).contains("\r\n" + header.toLowerCase(Locale.ROOT) + ": "
                    + value.toLowerCase(Locale.ROOT) + "\r\n");
        }
    }

    /**
     * Sends a request head announcing a body of {@code contentLength} bytes that never comes (a body still on its
     * way) and reads the answer; with {@code awaitClose}, then whether the server closes the connection (a read until
     * EOF, failing after 10 s: Tomcat and Payara keep it open, waiting for the body to swallow).
     */
    public static Answer headOnly(URI uri, String method, String bearerKey, int contentLength, boolean awaitClose)
            throws IOException {
        try (Socket s = open(uri)) {
            s.getOutputStream().write(head(uri, method, bearerKey, contentLength).getBytes(StandardCharsets.UTF_8));
            Answer a = read(s.getInputStream());
            return awaitClose ? new Answer(a.status(), a.head(), a.body(), s.getInputStream().read() < 0) : a;
        }
    }

    public static Socket open(URI uri) throws IOException {
        Socket s = new Socket(uri.getHost(), uri.getPort());
        s.setSoTimeout(10_000);
        return s;
    }

    public static String head(URI uri, String method, String bearerKey, int contentLength) {
        return method + " " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + "\r\n"
                + (bearerKey == null ? "" : "Authorization: Bearer " + bearerKey + "\r\n")
                + "Content-Type: application/json\r\nContent-Length: " + contentLength + "\r\n\r\n";
    }

    /** One answer with a Content-Length body; whether the server closes after it is not looked at here (false). */
    public static Answer read(InputStream in) throws IOException {
        String text = readHead(in);
        int length = 0;
        for (String line : text.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) length = Integer.parseInt(line.substring(15).trim());
        }
        String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
        return new Answer(Integer.parseInt(text.substring(9, 12)), text, body, false);
    }

    /** A message head up to and including its empty line (a response, or a WebSocket handshake's answer). */
    public static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int crlfs = 0; // how much of "\r\n\r\n" the last bytes were
        while (crlfs < 4) {
            int c = in.read();
            if (c < 0) throw new IOException("closed before the end of the head: " + head.toString(StandardCharsets.ISO_8859_1));
            head.write(c);
            crlfs = (c == '\r' && (crlfs == 0 || crlfs == 2)) || (c == '\n' && (crlfs == 1 || crlfs == 3)) ? crlfs + 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
