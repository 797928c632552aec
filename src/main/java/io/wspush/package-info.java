/**
 * wspush: a real-time push service for the web, as a Jakarta EE 10 WAR. Browsers connect to {@code /ws}, register
 * with a token, and receive every message the backend pushes to their user id with {@code POST /push}.
 *
 * <p>The packages are layers, bottom first: {@code json}, {@code config}; {@code protocol}, {@code metrics},
 * {@code auth}; {@code connection}; {@code registry}, {@code broker}; {@code node}; {@code rest}; the faces
 * {@code endpoint} ({@code /ws}), {@code push} ({@code POST /push}), {@code admin} ({@code /admin}, {@code /health},
 * {@code /metrics}) and {@code web} (servlet filters, demo tokens); and this package, which holds the JAX-RS
 * application. A package imports only lower layers (ArchitectureTest).
 */
package io.wspush;
