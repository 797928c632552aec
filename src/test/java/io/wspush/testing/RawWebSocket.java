package io.wspush.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client on a bare socket, for what well-behaved clients never do: stop reading, never answer
 * pings, send garbage or half frames. Frames are written by hand (RFC 6455, masked as a client must).
 */
public final class RawWebSocket implements AutoCloseable {

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.in = socket.getInputStream();
    }

    /** Opens the connection and completes the handshake; {@code receiveBuffer} small makes a slow reader. */
    public static RawWebSocket connect(URI ws, int receiveBuffer) throws IOException {
        Socket s = new Socket();
        if (receiveBuffer > 0) s.setReceiveBufferSize(receiveBuffer);
        s.connect(new java.net.InetSocketAddress(ws.getHost(), ws.getPort()), 5000);
        s.setSoTimeout(10_000);
        RawWebSocket r = new RawWebSocket(s);
        byte[] keyBytes = new byte[16];
        ThreadLocalRandom.current().nextBytes(keyBytes);
        String req = "GET " + ws.getRawPath() + " HTTP/1.1\r\nHost: " + ws.getHost() + ":" + ws.getPort()
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                + Base64.getEncoder().encodeToString(keyBytes) + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
        r.out.write(req.getBytes(StandardCharsets.US_ASCII));
        r.out.flush();
        String head = RawHttp.readHead(r.in);
        if (!head.startsWith("HTTP/1.1 101")) throw new IOException("handshake refused: " + head);
        return r;
    }

    public void sendText(String text) throws IOException {
        frame(true, 0x1, text.getBytes(StandardCharsets.UTF_8));
    }

    /** One frame, any opcode and FIN bit, masked. */
    public void frame(boolean fin, int opcode, byte[] payload) throws IOException {
        ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
        f.write((fin ? 0x80 : 0) | (opcode & 0x0F));
        int len = payload.length;
        if (len < 126) {
            f.write(0x80 | len);
        } else if (len < 65536) {
            f.write(0x80 | 126);
            f.write(len >>> 8);
            f.write(len & 0xFF);
        } else {
            f.write(0x80 | 127);
            for (int i = 7; i >= 0; i--) f.write((int) (((long) len >>> (8 * i)) & 0xFF));
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        f.write(mask, 0, 4);
        for (int i = 0; i < len; i++) f.write(payload[i] ^ mask[i & 3]);
        out.write(f.toByteArray());
        out.flush();
    }

    /** Writes raw bytes: whatever the test wants the server to choke on. */
    public void raw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /**
     * Reads frames until the server's close frame, answering nothing (no pongs).
     *
     * @return the close code, or -1 when the socket ended without a close frame
     */
    public int readUntilClose() throws IOException {
        while (true) {
            int b0 = in.read();
            if (b0 < 0) return -1;
            int b1 = in.read();
            if (b1 < 0) return -1;
            long len = b1 & 0x7F;
            if (len == 126) len = (in.read() << 8) | in.read();
            else if (len == 127) {
                len = 0;
                for (int i = 0; i < 8; i++) len = (len << 8) | in.read();
            }
            byte[] payload = in.readNBytes((int) len);
            if ((b0 & 0x0F) == 0x8) {
                return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
            }
        }
    }

    public Socket socket() {
        return socket;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
        }
    }
}
