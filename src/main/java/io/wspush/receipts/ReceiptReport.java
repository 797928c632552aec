package io.wspush.receipts;

/**
 * What a node tells the node that took a push waiting for receipts, over that node's channel (docs/SCALE-OUT.md,
 * "Receipts"): {@code h <id> <v1> <plain>} (handed to so many connections here) and {@code a <id> <n>} (so many of
 * them acknowledged). Plain text: a few bytes, parsed without JSON.
 */
record ReceiptReport(char kind, long id, int a, int b) {

    static String handed(long id, int v1, int plain) {
        return "h " + id + " " + v1 + " " + plain;
    }

    static String acked(long id, int n) {
        return "a " + id + " " + n;
    }

    /** @return null when the text is not a report */
    static ReceiptReport parse(String text) {
        if (text == null || text.length() > 64 || text.length() < 5 || text.charAt(1) != ' ') return null;
        char kind = text.charAt(0);
        String[] parts = text.substring(2).split(" ", -1);
        try {
            if (kind == 'h' && parts.length == 3) {
                return valid(new ReceiptReport(kind, Long.parseLong(parts[0]), Integer.parseInt(parts[1]),
                        Integer.parseInt(parts[2])));
            }
            if (kind == 'a' && parts.length == 2) {
                return valid(new ReceiptReport(kind, Long.parseLong(parts[0]), Integer.parseInt(parts[1]), 0));
            }
        } catch (NumberFormatException e) {
            return null;
        }
        return null;
    }

    private static ReceiptReport valid(ReceiptReport r) {
        return r.id > 0 && r.a >= 0 && r.b >= 0 ? r : null;
    }
}
