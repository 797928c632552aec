package io.wspush.protocol;

/**
 * Marks a push whose pusher waits for delivery receipts (docs/PROTOCOL.md, "Receipts"): {@code id} names the wait on
 * the node that took the push, {@code origin} is that node as the broker names it (null: this node).
 */
public record ReceiptTag(String origin, long id) {
}
