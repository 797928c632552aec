package io.wspush.push;

import io.wspush.node.Node;
import jakarta.enterprise.inject.spi.CDI;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/**
 * Answers the pushes waiting for receipts when the application is undeployed, while JAX-RS can still write their
 * responses: the node's own stop comes from a context listener, which containers call only after every filter
 * (JAX-RS among them) was destroyed. Declared after the JAX-RS filter in web.xml, since Jetty destroys filters in
 * reverse order; it never handles a request.
 */
public class ReceiptsDrainFilter extends HttpFilter {

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        chain.doFilter(req, res);
    }

    @Override
    public void destroy() {
        try {
            Node.unproxied(CDI.current().select(Node.class).get()).answerWaitingReceipts();
        } catch (RuntimeException e) {
            // CDI already gone: the node's stop answers them (if the container still can write them)
        }
    }
}
