/**
 * Servlet-level pieces: the demo-mode guard, the CORS header for the client script, and demo tokens
 * ({@code /demo/token}).
 */
package io.wspush.web;
