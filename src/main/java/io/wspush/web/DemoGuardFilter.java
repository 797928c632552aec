package io.wspush.web;

import io.wspush.config.Config;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

/**
 * In demo mode (well-known push key, generated secret) only this machine is answered: a demo instance that is
 * reachable from elsewhere, directly or through a proxy, must not accept pushes from anyone.
 *
 * <p>It runs before every request, so it is kept cheap: whether the node is in demo mode is decided once (the
 * node's settings never change while it runs), and outside demo mode a request costs one field read.
 */
public class DemoGuardFilter extends HttpFilter {

    private static final byte[] REFUSAL = ("{\"error\":\"forbidden\",\"message\":\"wspush is in demo mode and only "
            + "answers loopback clients; set wspush.token.secret and wspush.push.key\"}").getBytes(StandardCharsets.UTF_8);

    /** Null until the node has started; then whether it runs in demo mode. */
    private volatile Boolean demo;

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        Boolean d = demo;
        if (d == null) d = demoMode();
        if (d && !fromThisMachine(req)) {
            res.setStatus(403);
            res.setContentType("application/json");
            res.getOutputStream().write(REFUSAL);
            return;
        }
        chain.doFilter(req, res);
    }

    /** Looks at the settings; remembers the answer once they are there (set when the application starts). */
    private boolean demoMode() {
        Config config = (Config) getServletContext().getAttribute(Config.class.getName());
        if (config == null) return false;
        boolean d = config.demo();
        demo = d;
        return d;
    }

    static boolean fromThisMachine(HttpServletRequest req) {
        if (req.getHeader("X-Forwarded-For") != null || req.getHeader("Forwarded") != null) return false;
        String addr = req.getRemoteAddr();
        // The usual loopback literals are recognised without parsing; anything else is parsed as before.
        if (addr != null && isLoopbackLiteral(addr)) return true;
        try {
            return InetAddress.getByName(addr).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isLoopbackLiteral(String addr) {
        return addr.startsWith("127.") || addr.equals("::1") || addr.equals("0:0:0:0:0:0:0:1")
                || addr.equals("[::1]") || addr.equals("[0:0:0:0:0:0:0:1]");
    }
}
