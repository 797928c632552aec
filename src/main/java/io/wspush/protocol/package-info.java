/**
 * The wire contract of docs/PROTOCOL.md in code: the pushed message ({@link io.wspush.protocol.Delivery}), the
 * registration frame, the close codes ({@link io.wspush.protocol.Disconnect}) and the {@code wspush.v1} subprotocol
 * with its envelopes ({@link io.wspush.protocol.Envelopes}).
 */
package io.wspush.protocol;
