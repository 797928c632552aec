package io.wspush.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on loopback in front of a test server, for network failures a client cannot tell from a server
 * drop: {@link #cut} closes every relayed connection at once (no close frame: the client sees 1006) and refuses new
 * ones until {@link #reopen}. Plain TCP: no proxy headers, so demo mode still sees a loopback client.
 */
public final class TcpRelay implements AutoCloseable {

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean refusing;
    private volatile boolean closed;

    private TcpRelay(ServerSocket listener, InetSocketAddress target) {
        this.listener = listener;
        this.target = target;
    }

    public static TcpRelay start(URI server) throws IOException {
        ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        TcpRelay r = new TcpRelay(s, new InetSocketAddress(server.getHost(), server.getPort()));
        Thread t = new Thread(r::acceptLoop, "tcp-relay-accept");
        t.setDaemon(true);
        t.start();
        return r;
    }

    /** The server's base URI ({@code server}) with the relay's port. */
    public URI via(URI server) {
        return URI.create(server.getScheme() + "://127.0.0.1:" + listener.getLocalPort() + server.getRawPath());
    }

    /** Drops every relayed connection now and refuses new ones until {@link #reopen}. */
    public void cut() {
        refusing = true;
        for (Socket s : open) close(s);
    }

    public void reopen() {
        refusing = false;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (refusing) {
                close(client);
                continue;
            }
            Socket upstream = new Socket();
            try {
                upstream.connect(target, 5000);
            } catch (IOException e) {
                close(client);
                continue;
            }
            open.add(client);
            open.add(upstream);
            pipe(client, upstream);
            pipe(upstream, client);
        }
    }

    private void pipe(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16384];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException ignored) {
                // cut or closed
            } finally {
                close(from);
                close(to);
            }
        }, "tcp-relay-pipe");
        t.setDaemon(true);
        t.start();
    }

    private void close(Socket s) {
        open.remove(s);
        try {
            s.setSoLinger(true, 0); // a reset, as when a network path dies, not an orderly FIN
        } catch (IOException ignored) {
        }
        try {
            s.close();
        } catch (IOException ignored) {
        }
    }

    @Override
    public void close() {
        closed = true;
        cut();
        try {
            listener.close();
        } catch (IOException ignored) {
        }
    }
}
