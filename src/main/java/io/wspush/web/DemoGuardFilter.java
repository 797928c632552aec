package io.wspush.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

/**
 * In demo mode ({@code wspush.demo=true}) only this machine is answered: a demo instance that is reachable from
 * elsewhere, directly or through a proxy that says so ({@code X-Forwarded-For}, {@code Forwarded}), must not accept
 * pushes, hand out tokens or open WebSockets for anyone. Installed by {@link DemoGuard} in demo mode only, in front
 * of the container's WebSocket upgrade, so it refuses handshakes with 403 too.
 *
 * <p>A proxy on the same host that adds neither header still looks local: that is why demo mode must be asked for
 * and is never the fallback of a deployment whose settings went missing.
 */
public class DemoGuardFilter extends HttpFilter {

    private static final byte[] REFUSAL = ("{\"error\":\"forbidden\",\"message\":\"wspush is in demo mode and only "
            + "answers loopback clients without proxy headers; remove wspush.demo and set wspush.token.secret and "
            + "wspush.push.key\"}").getBytes(StandardCharsets.UTF_8);

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        if (!fromThisMachine(req)) {
            res.setStatus(403);
            res.setContentType("application/json");
            res.getOutputStream().write(REFUSAL);
            return;
        }
        chain.doFilter(req, res);
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
