package io.wspush.bench;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The kind of server the load tool drives ({@code --target}), and what differs between them on the wire: where a
 * user's connections go, what they send after the handshake, where and how a push is posted, and how its answer
 * tells how many connections it reached. Everything else (tokens, sequence numbers in messages, delivery checks,
 * latency, /proc figures) is the same for all of them, so that one run can put them side by side (bench/peers.sh).
 *
 * <ul>
 *   <li>{@code wspush}: {@code /ws} with a registration frame {@code {"token","event"}}, {@code POST /push} with
 *       {@code {"userId","event","message"}} or an array of them; the answer's {@code delivered}.</li>
 *   <li>{@code wserver} (alfred-zhong/wserver, Go): the same paths and frames (wspush's plain protocol is its wire
 *       protocol), but the event is mandatory on both sides and the answer is the text
 *       {@code message sent to N clients}; no arrays.</li>
 *   <li>{@code nchan} (nginx module): one channel per user; its connections subscribe by WebSocket at
 *       {@code /sub/<user>} and send nothing, a push is the raw message POSTed to {@code /pub/<user>} (paths of
 *       bench/peers/nchan.conf); the JSON answer's {@code subscribers} is the number of connections it reached.</li>
 * </ul>
 */
enum Target {
    WSPUSH, WSERVER, NCHAN;

    /** wserver refuses registrations and pushes without an event; used for it when {@code --event} is not given. */
    static final String WSERVER_DEFAULT_EVENT = "bench";

    /** The answer to one push request: connections reached, or -1 and why not. */
    record Answer(long delivered, String failure) {
        static Answer failed(String why) {
            return new Answer(-1, why);
        }
    }

    static Target parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--target wspush|wserver|nchan");
        }
    }

    String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Only wspush speaks the wspush.v1 subprotocol and takes JSON arrays of pushes. */
    boolean wspushOnly() {
        return this == WSPUSH;
    }

    /** The event to register and push with, given --event (may be null). */
    String event(String requested) {
        return this == WSERVER && requested == null ? WSERVER_DEFAULT_EVENT : requested;
    }

    /** Where the connections of this user open their WebSocket. */
    URI wsUri(URI wsBase, String userId) {
        return this == NCHAN ? wsBase.resolve("sub/" + encode(userId)) : wsBase.resolve("ws");
    }

    /** The first frame a connection sends after the handshake, or null (Nchan subscribers send nothing). */
    String registration(String token, String event) {
        if (this == NCHAN) return null;
        return "{\"token\":\"" + token + "\"" + (event == null ? "" : ",\"event\":" + LoadTool.jsonString(event)) + "}";
    }

    /** The path (relative to the base URL) a push to this user is POSTed to; null user = an array of pushes. */
    String pushPath(String userId) {
        return this == NCHAN ? "pub/" + encode(userId) : "push";
    }

    /** The body of one push; the message is ASCII without quotes or backslashes (the tool's own). */
    String pushBody(String userId, String event, String message) {
        if (this == NCHAN) return message;
        return "{\"userId\":" + LoadTool.jsonString(userId) + (event == null ? "" : ",\"event\":" + LoadTool.jsonString(event))
                + ",\"message\":\"" + message + "\"}";
    }

    /** Content-Type of a push request. */
    String contentType() {
        return this == NCHAN ? "text/plain" : "application/json";
    }

    /** Reads a push answer. */
    Answer answer(int status, String body) {
        switch (this) {
            case WSERVER -> {
                // "message sent to N clients"
                if (status != 200) return Answer.failed("http " + status);
                String prefix = "message sent to ";
                int i = body.indexOf(prefix);
                int end = i < 0 ? -1 : body.indexOf(' ', i + prefix.length());
                if (end < 0) return Answer.failed("unparsable 200 body");
                return count(body.substring(i + prefix.length(), end));
            }
            case NCHAN -> {
                // 201 Created (reached subscribers) or 202 Accepted (none); JSON body with "subscribers": N
                if (status != 201 && status != 202) return Answer.failed("http " + status);
                return count(LoadTool.jsonField(body, "subscribers"));
            }
            default -> {
                if (status == 200 && body.contains("\"error\"")) return Answer.failed("item refused in a 200 batch answer");
                if (status != 200) {
                    String code = LoadTool.jsonField(body, "error");
                    return Answer.failed("http " + status + (code == null ? "" : " " + code));
                }
                String d = LoadTool.jsonField(body, "delivered");
                return d == null ? new Answer(0, null) : count(d);
            }
        }
    }

    private static Answer count(String n) {
        try {
            return new Answer(Long.parseLong(n.trim()), null);
        } catch (NumberFormatException | NullPointerException e) {
            return Answer.failed("unparsable answer");
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
