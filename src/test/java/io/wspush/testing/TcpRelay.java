package io.wspush.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;

/**
 * A plain TCP relay on loopback, like stunnel, an SSH tunnel or a proxy that adds no forwarding header: it copies
 * bytes both ways and says nothing about the client. Serves connections one at a time until closed.
 */
public final class TcpRelay implements AutoCloseable {

    private final ServerSocket listener;
    private final Thread acceptor;

    public TcpRelay(String targetHost, int targetPort) throws IOException {
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(() -> {
            while (!listener.isClosed()) {
                try {
                    Socket client = listener.accept();
                    Socket upstream = new Socket(targetHost, targetPort);
                    pump(client, upstream);
                    pump(upstream, client);
                } catch (IOException e) {
                    return;
                }
            }
        }, "tcp-relay");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The same URI with host and port of the relay. */
    public URI via(URI target) {
        return URI.create(target.getScheme() + "://127.0.0.1:" + listener.getLocalPort() + target.getRawPath());
    }

    private static void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            try (from; to) {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                byte[] buf = new byte[8192];
                for (int n; (n = in.read(buf)) != -1; ) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException ignored) {
                // one side went away: closing both ends (try-with-resources) tells the other
            }
        }, "tcp-relay-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
