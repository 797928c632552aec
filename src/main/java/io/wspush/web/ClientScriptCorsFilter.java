package io.wspush.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/**
 * Lets pages on other origins import the client module straight from wspush ({@code js/*}): browsers fetch
 * module scripts in CORS mode. The scripts are public files, so any origin may read them.
 */
public class ClientScriptCorsFilter extends HttpFilter {

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        res.setHeader("Access-Control-Allow-Origin", "*");
        chain.doFilter(req, res);
    }
}
