package io.wspush.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal RFC 6455 WebSocket client for the load tool ({@code --ws-client raw}): plain {@code ws://} only, no
 * extensions, a few selector threads shared by all connections, each connection exposed as a
 * {@link java.net.http.WebSocket} so the rest of the tool is the same as with the JDK client. It exists because the
 * JDK client costs the tool far more CPU per received frame than the server spends sending it, so with thousands of
 * frames per second the tool's core, not the server, would set the pace.
 *
 * <p>What it does: HTTP/1.1 upgrade (checks 101 and {@code Sec-WebSocket-Accept}), masked client text frames, close
 * and pong frames; it reads text (also fragmented), ping (answered with a pong), pong and close frames from the
 * server. Listener callbacks run on the selector thread of the connection, one at a time per connection.
 *
 * <p>{@code -Dbench.ws.deflate=true} (tool JVM option, e.g. {@code TOOL_JAVA_OPTS}) makes every connection offer
 * {@code permessage-deflate} as browsers do (RFC 7692); when the server accepts it, compressed messages are inflated
 * (unfragmented ones only; a fragmented compressed message fails the connection). The JDK client cannot offer it
 * ({@code Sec-WebSocket-Extensions} is a restricted header there). How many connections got it is printed at exit.
 */
final class RawWs implements AutoCloseable {

    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final int MAX_FRAME = 16 * 1024 * 1024;
    private static final boolean OFFER_DEFLATE = Boolean.getBoolean("bench.ws.deflate");
    private static final byte[] DEFLATE_TAIL = {0, 0, (byte) 0xff, (byte) 0xff};
    private static final AtomicInteger DEFLATE_OFFERED = new AtomicInteger();
    private static final AtomicInteger DEFLATE_NEGOTIATED = new AtomicInteger();

    static {
        if (OFFER_DEFLATE) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> System.err.println("[RawWs] permessage-deflate offered by "
                    + DEFLATE_OFFERED.get() + " connections, accepted by the server for " + DEFLATE_NEGOTIATED.get())));
        }
    }

    private final Loop[] loops;
    private final AtomicInteger next = new AtomicInteger();

    RawWs(int threads) throws IOException {
        loops = new Loop[Math.max(1, threads)];
        for (int i = 0; i < loops.length; i++) {
            loops[i] = new Loop("raw-ws-" + (i + 1));
            loops[i].thread.start();
        }
    }

    /** Opens a connection; the future completes after the 101 response, right after {@code listener.onOpen}. */
    CompletableFuture<WebSocket> connect(URI uri, String subprotocol, WebSocket.Listener listener, Duration timeout) {
        Loop loop = loops[Math.floorMod(next.getAndIncrement(), loops.length)];
        Socket s = new Socket(loop, uri, subprotocol, listener);
        loop.submit(s::start);
        return s.opened.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((ws, ex) -> {
            if (ex != null) s.abort();
        });
    }

    @Override
    public void close() {
        for (Loop l : loops) l.stop();
    }

    // ------------------------------------------------------------------------------------------- selector thread

    private static final class Loop implements Runnable {
        final Selector selector;
        final Thread thread;
        final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
        /** Shared by the connections of this loop: bytes read are parsed before the next connection is read. */
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        volatile boolean stopped;

        Loop(String name) throws IOException {
            selector = Selector.open();
            thread = new Thread(this, name);
            thread.setDaemon(true);
        }

        void submit(Runnable r) {
            tasks.add(r);
            selector.wakeup();
        }

        void stop() {
            stopped = true;
            selector.wakeup();
        }

        @Override
        public void run() {
            while (!stopped) {
                try {
                    selector.select(200);
                } catch (IOException e) {
                    return;
                }
                for (Runnable r; (r = tasks.poll()) != null; ) r.run();
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    Socket s = (Socket) k.attachment();
                    try {
                        if (!k.isValid()) continue;
                        if (k.isConnectable()) s.onConnectable();
                        if (k.isValid() && k.isWritable()) s.onWritable();
                        if (k.isValid() && k.isReadable()) s.onReadable();
                    } catch (IOException | RuntimeException e) {
                        s.fail(e);
                    }
                }
            }
            try {
                selector.close();
            } catch (IOException ignored) {
                // exiting
            }
        }
    }

    // ------------------------------------------------------------------------------------------- one connection

    private static final class Socket implements WebSocket {
        final Loop loop;
        final URI uri;
        final String subprotocol;
        final WebSocket.Listener listener;
        final CompletableFuture<WebSocket> opened = new CompletableFuture<>();
        final String key;
        SocketChannel ch;
        SelectionKey sk;
        /** Frames not yet written (guarded by this). */
        final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
        /** Bytes of an incomplete frame (or response head) left from the last read. */
        byte[] pending;
        boolean handshakeDone;
        volatile boolean outputClosed;
        volatile boolean inputClosed;
        String negotiated = "";
        boolean textInProgress;
        /** Set when the server accepted permessage-deflate; kept across messages (context takeover or not). */
        java.util.zip.Inflater inflater;

        Socket(Loop loop, URI uri, String subprotocol, WebSocket.Listener listener) {
            this.loop = loop;
            this.uri = uri;
            this.subprotocol = subprotocol;
            this.listener = listener;
            byte[] k = new byte[16];
            ThreadLocalRandom.current().nextBytes(k);
            this.key = Base64.getEncoder().encodeToString(k);
        }

        void start() {
            try {
                ch = SocketChannel.open();
                ch.configureBlocking(false);
                ch.socket().setTcpNoDelay(true);
                int port = uri.getPort() < 0 ? 80 : uri.getPort();
                boolean done = ch.connect(new InetSocketAddress(uri.getHost(), port));
                sk = ch.register(loop.selector, done ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT, this);
                if (done) sendHandshake();
            } catch (IOException | RuntimeException e) {
                fail(e);
            }
        }

        void onConnectable() throws IOException {
            if (!ch.finishConnect()) return;
            sk.interestOps(SelectionKey.OP_READ);
            sendHandshake();
        }

        private void sendHandshake() {
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            if (uri.getRawQuery() != null) path += "?" + uri.getRawQuery();
            String req = "GET " + path + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key
                    + "\r\nSec-WebSocket-Version: 13\r\n"
                    + (subprotocol == null ? "" : "Sec-WebSocket-Protocol: " + subprotocol + "\r\n")
                    + (OFFER_DEFLATE ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "")
                    + "\r\n";
            if (OFFER_DEFLATE) DEFLATE_OFFERED.incrementAndGet();
            write(ByteBuffer.wrap(req.getBytes(StandardCharsets.US_ASCII)));
        }

        void onWritable() throws IOException {
            synchronized (this) {
                while (!out.isEmpty()) {
                    ByteBuffer b = out.peek();
                    ch.write(b);
                    if (b.hasRemaining()) return;
                    out.poll();
                }
                sk.interestOps(SelectionKey.OP_READ);
            }
        }

        void onReadable() throws IOException {
            ByteBuffer buf = loop.buf;
            buf.clear();
            if (pending != null) {
                if (pending.length > buf.capacity() / 2) loop.buf = buf = grow(buf, pending.length * 2);
                buf.put(pending);
                pending = null;
            }
            int n = ch.read(buf);
            if (n < 0) {
                buf.clear();
                closedByPeer(1006, "connection lost");
                return;
            }
            buf.flip();
            if (!handshakeDone && !readHandshake(buf)) {
                keep(buf);
                return;
            }
            while (buf.hasRemaining() && !inputClosed) {
                if (!readFrame(buf)) break;
            }
            keep(buf);
        }

        private void keep(ByteBuffer buf) {
            if (buf.hasRemaining() && !inputClosed) {
                pending = new byte[buf.remaining()];
                buf.get(pending);
            }
        }

        private static ByteBuffer grow(ByteBuffer old, int size) {
            return ByteBuffer.allocate(Math.max(old.capacity(), size));
        }

        /** @return true once the whole response head was read (the buffer then points after it) */
        private boolean readHandshake(ByteBuffer buf) throws IOException {
            int start = buf.position();
            int end = -1;
            for (int i = start; i + 3 < buf.limit(); i++) {
                if (buf.get(i) == '\r' && buf.get(i + 1) == '\n' && buf.get(i + 2) == '\r' && buf.get(i + 3) == '\n') {
                    end = i + 4;
                    break;
                }
            }
            if (end < 0) {
                if (buf.remaining() > 16 * 1024) throw new IOException("response head too large");
                return false;
            }
            String head = new String(buf.array(), start, end - start, StandardCharsets.ISO_8859_1);
            buf.position(end);
            String[] lines = head.split("\r\n");
            if (lines.length == 0 || !lines[0].startsWith("HTTP/1.1 101")) {
                throw new HandshakeFailed(lines.length == 0 ? "empty response" : lines[0]);
            }
            String accept = null;
            for (String l : lines) {
                int colon = l.indexOf(':');
                if (colon < 0) continue;
                String name = l.substring(0, colon).trim();
                String value = l.substring(colon + 1).trim();
                if (name.equalsIgnoreCase("Sec-WebSocket-Accept")) accept = value;
                else if (name.equalsIgnoreCase("Sec-WebSocket-Protocol")) negotiated = value;
                else if (name.equalsIgnoreCase("Sec-WebSocket-Extensions") && value.contains("permessage-deflate")) {
                    if (!OFFER_DEFLATE) throw new IOException("server negotiated an extension that was not offered: " + value);
                    inflater = new java.util.zip.Inflater(true);
                    DEFLATE_NEGOTIATED.incrementAndGet();
                }
            }
            if (!expectedAccept().equals(accept)) throw new IOException("bad Sec-WebSocket-Accept");
            handshakeDone = true;
            listener.onOpen(this);
            opened.complete(this);
            return true;
        }

        private String expectedAccept() {
            try {
                MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
                return Base64.getEncoder().encodeToString(sha1.digest((key + GUID).getBytes(StandardCharsets.US_ASCII)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        /** @return false when the buffer holds no complete frame (position unchanged) */
        private boolean readFrame(ByteBuffer buf) throws IOException {
            int start = buf.position();
            if (buf.remaining() < 2) return false;
            int b0 = buf.get() & 0xff;
            int b1 = buf.get() & 0xff;
            boolean fin = (b0 & 0x80) != 0;
            boolean rsv1 = (b0 & 0x40) != 0;
            int opcode = b0 & 0x0f;
            boolean masked = (b1 & 0x80) != 0;
            long len = b1 & 0x7f;
            if (len == 126) {
                if (buf.remaining() < 2) return rewind(buf, start);
                len = buf.getShort() & 0xffff;
            } else if (len == 127) {
                if (buf.remaining() < 8) return rewind(buf, start);
                len = buf.getLong();
            }
            if (len < 0 || len > MAX_FRAME) throw new IOException("frame too large: " + len);
            int maskLen = masked ? 4 : 0;
            if (buf.remaining() < maskLen + len) {
                // Make sure the next read can hold the whole frame.
                int need = (buf.position() - start) + maskLen + (int) len;
                if (need > loop.buf.capacity() / 2) loop.buf = grow(loop.buf, need * 2);
                return rewind(buf, start);
            }
            byte[] mask = null;
            if (masked) {
                mask = new byte[4];
                buf.get(mask);
            }
            byte[] payload = new byte[(int) len];
            buf.get(payload);
            if (mask != null) for (int i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
            if (rsv1) {
                if (inflater == null || (opcode != 0x1 && opcode != 0x2)) throw new IOException("RSV1 set without permessage-deflate");
                if (!fin) throw new IOException("fragmented compressed message (not supported by this client)");
                payload = inflate(payload);
            }
            switch (opcode) {
                case 0x1, 0x0 -> {
                    if (opcode == 0x0 && !textInProgress) {
                        listener.onBinary(this, ByteBuffer.wrap(payload), fin);
                        break;
                    }
                    textInProgress = !fin;
                    listener.onText(this, new String(payload, StandardCharsets.UTF_8), fin);
                }
                case 0x2 -> listener.onBinary(this, ByteBuffer.wrap(payload), fin);
                case 0x9 -> {
                    listener.onPing(this, ByteBuffer.wrap(payload));
                    if (!outputClosed) write(frame(0xA, payload));
                }
                case 0xA -> listener.onPong(this, ByteBuffer.wrap(payload));
                case 0x8 -> {
                    int code = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
                    String reason = payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
                    if (!outputClosed) {
                        outputClosed = true;
                        byte[] echo = payload.length >= 2 ? new byte[] {payload[0], payload[1]} : new byte[0];
                        write(frame(0x8, echo));
                    }
                    closedByPeer(code, reason);
                }
                default -> throw new IOException("unknown opcode " + opcode);
            }
            return true;
        }

        /** One compressed message (RFC 7692 7.2.2: the sender removed the final empty block's 4 bytes). */
        private byte[] inflate(byte[] compressed) throws IOException {
            inflater.setInput(concat(compressed, DEFLATE_TAIL));
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(compressed.length * 4 + 64);
            byte[] chunk = new byte[8192];
            try {
                while (!inflater.needsInput()) {
                    int n = inflater.inflate(chunk);
                    if (n == 0 && (inflater.needsInput() || inflater.finished())) break;
                    out.write(chunk, 0, n);
                    if (out.size() > MAX_FRAME) throw new IOException("inflated message too large");
                }
            } catch (java.util.zip.DataFormatException e) {
                throw new IOException("bad compressed message: " + e.getMessage());
            }
            return out.toByteArray();
        }

        private static byte[] concat(byte[] a, byte[] b) {
            byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, c, a.length, b.length);
            return c;
        }

        private static boolean rewind(ByteBuffer buf, int start) {
            buf.position(start);
            return false;
        }

        private void closedByPeer(int code, String reason) {
            if (inputClosed) return;
            inputClosed = true;
            outputClosed = true;
            listener.onClose(this, code, reason);
            // Let the close reply go out, then drop the socket.
            loop.submit(this::closeChannel);
        }

        void fail(Throwable e) {
            boolean wasOpen = !inputClosed;
            inputClosed = true;
            outputClosed = true;
            closeChannel();
            if (!opened.isDone()) {
                opened.completeExceptionally(e);
            } else if (wasOpen) {
                listener.onError(this, e);
            }
        }

        private void closeChannel() {
            try {
                if (ch != null) ch.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }

        /** A masked client frame. */
        private static ByteBuffer frame(int opcode, byte[] payload) {
            int len = payload.length;
            int head = 2 + (len < 126 ? 0 : len < 65536 ? 2 : 8) + 4;
            ByteBuffer b = ByteBuffer.allocate(head + len);
            b.put((byte) (0x80 | opcode));
            if (len < 126) {
                b.put((byte) (0x80 | len));
            } else if (len < 65536) {
                b.put((byte) (0x80 | 126));
                b.putShort((short) len);
            } else {
                b.put((byte) (0x80 | 127));
                b.putLong(len);
            }
            byte[] mask = new byte[4];
            ThreadLocalRandom.current().nextBytes(mask);
            b.put(mask);
            for (int i = 0; i < len; i++) b.put((byte) (payload[i] ^ mask[i & 3]));
            b.flip();
            return b;
        }

        /** Writes now if nothing is waiting, else queues and lets the selector finish it. Any thread. */
        private void write(ByteBuffer b) {
            synchronized (this) {
                try {
                    if (out.isEmpty()) {
                        ch.write(b);
                        if (!b.hasRemaining()) return;
                    }
                    out.add(b);
                } catch (IOException e) {
                    loop.submit(() -> fail(e));
                    return;
                }
            }
            loop.submit(() -> {
                if (sk != null && sk.isValid()) sk.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            });
        }

        // ---- java.net.http.WebSocket

        @Override
        public CompletableFuture<WebSocket> sendText(CharSequence data, boolean last) {
            if (outputClosed) return CompletableFuture.failedFuture(new IOException("output closed"));
            write(frame(last ? 0x1 : 0x0, data.toString().getBytes(StandardCharsets.UTF_8)));
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public CompletableFuture<WebSocket> sendBinary(ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            write(frame(last ? 0x2 : 0x0, b));
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public CompletableFuture<WebSocket> sendPing(ByteBuffer message) {
            byte[] b = new byte[message.remaining()];
            message.get(b);
            write(frame(0x9, b));
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public CompletableFuture<WebSocket> sendPong(ByteBuffer message) {
            byte[] b = new byte[message.remaining()];
            message.get(b);
            write(frame(0xA, b));
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public CompletableFuture<WebSocket> sendClose(int statusCode, String reason) {
            if (outputClosed) return CompletableFuture.completedFuture(this);
            outputClosed = true;
            byte[] r = reason.getBytes(StandardCharsets.UTF_8);
            byte[] p = new byte[2 + r.length];
            p[0] = (byte) (statusCode >> 8);
            p[1] = (byte) statusCode;
            System.arraycopy(r, 0, p, 2, r.length);
            write(frame(0x8, p));
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public void request(long n) {
            // Unbounded demand: every frame is handed to the listener as it is read.
        }

        @Override
        public String getSubprotocol() {
            return negotiated;
        }

        @Override
        public boolean isOutputClosed() {
            return outputClosed;
        }

        @Override
        public boolean isInputClosed() {
            return inputClosed;
        }

        @Override
        public void abort() {
            inputClosed = true;
            outputClosed = true;
            closeChannel();
        }
    }

    /** The server answered the upgrade with something other than 101. */
    static final class HandshakeFailed extends IOException {
        HandshakeFailed(String statusLine) {
            super(statusLine);
        }
    }
}
