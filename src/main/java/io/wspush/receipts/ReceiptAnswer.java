package io.wspush.receipts;

/**
 * What a push that waited for receipts answers: connections handed the message ({@code delivered}, on every node that
 * reported), how many acknowledged it, how many of them are plain clients that cannot acknowledge, its offset, and
 * whether every connection that can acknowledge did ({@code complete}) or the wait ended first.
 */
public record ReceiptAnswer(int delivered, int acknowledged, int plain, long offset, boolean complete) {

    public String json() {
        return "{\"delivered\":" + delivered + ",\"acknowledged\":" + acknowledged + ",\"plain\":" + plain
                + (offset > 0 ? ",\"offset\":" + offset : "") + ",\"complete\":" + complete + "}";
    }
}
