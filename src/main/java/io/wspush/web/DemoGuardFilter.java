package io.wspush.web;

import io.wspush.node.Node;
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
 */
public class DemoGuardFilter extends HttpFilter {

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        Node node = (Node) getServletContext().getAttribute(Node.class.getName());
        if (node != null && node.config() != null && node.config().demo() && !fromThisMachine(req)) {
            res.setStatus(403);
            res.setContentType("application/json");
            res.getOutputStream().write(("{\"error\":\"forbidden\",\"message\":\"wspush is in demo mode and only "
                    + "answers loopback clients; set wspush.token.secret and wspush.push.key\"}")
                    .getBytes(StandardCharsets.UTF_8));
            return;
        }
        chain.doFilter(req, res);
    }

    static boolean fromThisMachine(HttpServletRequest req) {
        if (req.getHeader("X-Forwarded-For") != null || req.getHeader("Forwarded") != null) return false;
        try {
            return InetAddress.getByName(req.getRemoteAddr()).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }
}
