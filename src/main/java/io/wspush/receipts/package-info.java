/**
 * Delivery receipts (docs/PROTOCOL.md, "Receipts"): which connections a push was handed to, which of them
 * acknowledged it, and the pushers waiting for that, on this node and across nodes.
 */
package io.wspush.receipts;
