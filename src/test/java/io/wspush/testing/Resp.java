package io.wspush.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** One Redis command over plain RESP on a fresh loopback socket, so tests can ask any node without a client library. */
public final class Resp {

    private Resp() {
    }

    /** Returns a String, Long, null or List of those; a Redis error or an I/O failure throws IllegalStateException. */
    public static Object command(int port, String... args) {
        return commandAs(port, null, null, args);
    }

    /** As {@link #command(int, String...)}, authenticated as an ACL user first (when {@code user} is not null). */
    public static Object commandAs(int port, String user, String password, String... args) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            s.setSoTimeout(2000);
            BufferedInputStream in = new BufferedInputStream(s.getInputStream());
            if (user != null) {
                s.getOutputStream().write(encode("AUTH", user, password));
                read(in);
            }
            s.getOutputStream().write(encode(args));
            s.getOutputStream().flush();
            return read(in);
        } catch (IOException e) {
            throw new IllegalStateException("redis on " + port + ": " + e, e);
        }
    }

    private static byte[] encode(String... args) {
        ByteArrayOutputStream req = new ByteArrayOutputStream();
        req.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (String a : args) {
            byte[] bytes = a.getBytes(StandardCharsets.UTF_8);
            req.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            req.writeBytes(bytes);
            req.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        return req.toByteArray();
    }

    private static Object read(InputStream in) throws IOException {
        int type = in.read();
        String line = line(in);
        switch (type) {
            case '+':
                return line;
            case '-':
                throw new IllegalStateException("redis error: " + line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int len = Integer.parseInt(line);
                if (len < 0) return null;
                byte[] b = in.readNBytes(len + 2);
                return new String(b, 0, len, StandardCharsets.UTF_8);
            }
            case '*': {
                int n = Integer.parseInt(line);
                if (n < 0) return null;
                List<Object> items = new ArrayList<>(n);
                for (int i = 0; i < n; i++) items.add(read(in));
                return items;
            }
            default:
                throw new IOException("unexpected RESP type " + type);
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != '\r'; c = in.read()) {
            if (c < 0) throw new IOException("connection closed");
            b.append((char) c);
        }
        in.read(); // '\n'
        return b.toString();
    }
}
