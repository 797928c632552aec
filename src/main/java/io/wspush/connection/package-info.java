/**
 * One WebSocket connection ({@link io.wspush.connection.Connection}) and its single-sender writer
 * ({@link io.wspush.connection.ConnectionWriter}): a bounded queue, one send at a time, never a blocked pusher.
 */
package io.wspush.connection;
