package io.wspush.push;

import io.wspush.json.JsonSkip;
import io.wspush.broker.Broker;
import io.wspush.config.Config;
import io.wspush.json.Jsonp;
import io.wspush.node.Node;
import io.wspush.receipts.ReceiptWait;
import io.wspush.receipts.Receipts;
import io.wspush.rest.JsonResponses;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonException;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParser.Event;
import jakarta.ws.rs.core.Response;

import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;

/**
 * A single push that waits for delivery receipts, {@code "receipts":{"wait":<seconds>}} (docs/PROTOCOL.md,
 * "Receipts"). Its answer is a {@link CompletableFuture} that {@link Receipts} completes: no request thread waits.
 * Every other push never gets here ({@link #mentioned} is one scan of the body's bytes).
 */
@ApplicationScoped
public class ReceiptPush {

    private static final byte[] RECEIPTS = "\"receipts\"".getBytes(StandardCharsets.US_ASCII);

    @Inject
    Node node;

    @Inject
    Receipts receipts;

    @Inject
    Config config;

    /** What the body asks for: no receipts (an ordinary push), a bad request, or a wait. */
    record Asked(String bad, Duration duration) {
        static final Asked NONE = new Asked(null, null);
    }

    /** Whether the body may ask for receipts (the bytes {@code "receipts"} appear in it). */
    static boolean mentioned(byte[] body) {
        outer:
        for (int i = 0; i + RECEIPTS.length <= body.length; i++) {
            for (int j = 0; j < RECEIPTS.length; j++) {
                if (body[i + j] != RECEIPTS[j]) continue outer;
            }
            return true;
        }
        return false;
    }

    /**
     * The push's answer when the body asks for receipts, else null (push it the ordinary way).
     *
     * @return a {@link Response} (refused) or a {@code CompletableFuture<Response>} (the answer to come)
     */
    Object handle(byte[] bytes) {
        Asked asked = asked(bytes, receipts.maxWait());
        if (asked == Asked.NONE) return null;
        if (asked.bad() != null) return JsonResponses.error(400, "bad_request", asked.bad());
        if (!config.history()) {
            return JsonResponses.error(400, "bad_request", "receipts need history (wspush.history.size above 0): "
                    + "clients acknowledge a message by its offset");
        }
        PushRequest req;
        try {
            req = PushRequest.parse(bytes);
        } catch (PushRequest.Invalid e) {
            return JsonResponses.error(400, "bad_request", e.getMessage());
        }
        CompletableFuture<Response> answer = new CompletableFuture<>();
        ReceiptWait w;
        try {
            w = receipts.begin(asked.duration(), a -> answer.complete(JsonResponses.status(200, a.json())));
        } catch (IllegalStateException stopping) {
            return unavailable();
        }
        if (w == null) {
            return Response.fromResponse(JsonResponses.error(503, "too_many_waiting", "this node already holds "
                    + config.receiptsMaxPending() + " pushes waiting for receipts (wspush.receipts.max-pending); "
                    + "nothing was pushed, retry later")).header("Retry-After", "1").build();
        }
        Broker.Published p;
        try {
            p = node.push(req.userId(), req.event(), req.message(), req.id(), receipts.tag(w));
        } catch (IllegalStateException stopping) {
            receipts.abandon(w);
            return unavailable();
        }
        receipts.pushed(w, p.offset(), p.nodes());
        return answer;
    }

    private static Response unavailable() {
        return JsonResponses.error(503, "unavailable", "wspush is shutting down; retry on another node");
    }

    /**
     * Reads the top level of the body for {@code receipts}: absent or null in an object, or the body is not JSON
     * (the ordinary path says why): {@link Asked#NONE}.
     */
    static Asked asked(byte[] utf8, Duration maxWait) {
        try (JsonParser p = Jsonp.PARSERS.createParser(new ByteArrayInputStream(utf8), StandardCharsets.UTF_8)) {
            if (!p.hasNext()) return Asked.NONE;
            Event first = p.next();
            if (first == Event.START_ARRAY) {
                for (Event e = p.next(); e != Event.END_ARRAY; e = p.next()) {
                    if (e == Event.START_OBJECT && receiptsMember(p) != null) return batch();
                    if (e == Event.START_ARRAY) JsonSkip.rest(p);
                }
                return Asked.NONE;
            }
            if (first != Event.START_OBJECT) return Asked.NONE;
            Asked found = Asked.NONE;
            boolean batch = false;
            for (Event e = p.next(); e != Event.END_OBJECT; e = p.next()) {
                String key = p.getString();
                Event v = p.next();
                if (key.equals("userIds") || key.equals("broadcast")) batch = true;
                if (key.equals("receipts")) {
                    found = v == Event.VALUE_NULL ? Asked.NONE : wait(p, v, maxWait);
                } else if (v == Event.START_OBJECT) {
                    JsonSkip.rest(p);
                } else if (v == Event.START_ARRAY) {
                    JsonSkip.rest(p);
                }
            }
            return batch && found != Asked.NONE ? batch() : found;
        } catch (JsonException | NoSuchElementException | IllegalStateException e) {
            return Asked.NONE;
        }
    }

    private static Asked batch() {
        return new Asked("receipts are for single pushes only (not multicast, broadcast or arrays)", null);
    }

    /** Inside an array item: the non-null {@code receipts} member's event, or null; the item is read to its end. */
    private static Event receiptsMember(JsonParser p) {
        Event found = null;
        for (Event e = p.next(); e != Event.END_OBJECT; e = p.next()) {
            String key = p.getString();
            Event v = p.next();
            if (key.equals("receipts") && v != Event.VALUE_NULL) found = v;
            if (v == Event.START_OBJECT) JsonSkip.rest(p);
            else if (v == Event.START_ARRAY) JsonSkip.rest(p);
        }
        return found;
    }

    /** {@code {"wait":<seconds>}}: a number above 0 and at most {@code maxWait}; nothing else. */
    private static Asked wait(JsonParser p, Event v, Duration maxWait) {
        String shape = "receipts must be an object {\"wait\":<seconds>}";
        if (v != Event.START_OBJECT) {
            if (v == Event.START_ARRAY) JsonSkip.rest(p);
            return new Asked(shape, null);
        }
        BigDecimal seconds = null;
        String bad = null;
        for (Event e = p.next(); e != Event.END_OBJECT; e = p.next()) {
            String key = p.getString();
            Event w = p.next();
            if (key.equals("wait") && w == Event.VALUE_NUMBER) {
                seconds = p.getBigDecimal();
            } else {
                if (w == Event.START_OBJECT) JsonSkip.rest(p);
                else if (w == Event.START_ARRAY) JsonSkip.rest(p);
                if (bad == null) {
                    bad = key.equals("wait") ? "receipts.wait must be a number of seconds"
                            : "receipts has no member \"" + (key.length() > 40 ? key.substring(0, 40) + "..." : key)
                            + "\" (only \"wait\")";
                }
            }
        }
        if (bad != null) return new Asked(bad, null);
        if (seconds == null) return new Asked("receipts.wait is required (seconds, above 0)", null);
        BigDecimal max = BigDecimal.valueOf(maxWait.toMillis(), 3);
        if (seconds.signum() <= 0 || seconds.compareTo(max) > 0) {
            return new Asked("receipts.wait must be above 0 and at most " + max.stripTrailingZeros().toPlainString()
                    + " seconds (wspush.receipts.max-wait)", null);
        }
        long millis = seconds.movePointRight(3).setScale(0, java.math.RoundingMode.CEILING).longValueExact();
        return new Asked(null, Duration.ofMillis(millis));
    }
}
