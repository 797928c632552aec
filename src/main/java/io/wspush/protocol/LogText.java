package io.wspush.protocol;

/**
 * Text a client (or any caller) chose, made safe to log: control and format characters (newlines, line separators,
 * bidi overrides) escaped so it can never forge or hide a log line, and the length bounded. Backslashes are doubled
 * so an escape seen in the log is always one of ours.
 */
public final class LogText {

    /** At most this many characters of the original are kept. */
    public static final int MAX = 200;

    private LogText() {
    }

    public static String escape(String s) {
        if (s == null) return "null";
        int n = Math.min(s.length(), MAX);
        StringBuilder b = null;
        for (int i = 0; i < n; i++) {
            char ch = s.charAt(i);
            String esc = escapeOf(ch);
            if (esc != null && b == null) b = new StringBuilder(n + 16).append(s, 0, i);
            if (b != null) {
                if (esc != null) b.append(esc);
                else b.append(ch);
            }
        }
        String out = b != null ? b.toString() : n == s.length() ? s : s.substring(0, n);
        return n == s.length() ? out : out + "...(" + s.length() + " chars)";
    }

    private static String escapeOf(char ch) {
        switch (ch) {
            case '\\': return "\\\\";
            case '\n': return "\\n";
            case '\r': return "\\r";
            case '\t': return "\\t";
            default:
        }
        int type = Character.getType(ch);
        if (type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR) {
            return String.format("\\u%04x", (int) ch);
        }
        return null;
    }
}
