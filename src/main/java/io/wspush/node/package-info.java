/**
 * The node: lifecycle and wiring ({@link io.wspush.node.Node}, started by {@link io.wspush.node.NodeLifecycle}),
 * publishing through the broker, and the socket side ({@link io.wspush.node.SocketEvents}): what each WebSocket
 * event means, registration, the heartbeat sweep.
 */
package io.wspush.node;
