/** {@code GET /presence/{userId}} and {@code POST /presence}: who is online, on how many connections, on every node. */
package io.wspush.presence;
