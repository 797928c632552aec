package io.wspush.push;

import io.wspush.auth.Keys;
import io.wspush.broker.Broker;
import io.wspush.config.Config;
import io.wspush.node.Node;
import io.wspush.protocol.Delivery;
import io.wspush.rest.BoundedBody;
import io.wspush.rest.JsonResponses;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import io.wspush.json.Jsonp;
import jakarta.json.stream.JsonGenerator;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST /push}: the backend hands a message to one user's connections. Any content type is accepted, as
 * wserver did, so existing pushers keep working; the body is read with a hard size limit before parsing.
 */
@ApplicationScoped
@Path("/push")
public class PushResource {

    @Inject
    Node node;

    @Inject
    Keys keys;

    @Inject
    Config config;

    @Inject
    ReceiptPush receipts;

    /** A {@link Response}, or for a push waiting for receipts a CompletionStage of one (asynchronous JAX-RS). */
    @POST
    @Produces(MediaType.APPLICATION_JSON)
    public Object push(@Context HttpHeaders headers, InputStream body) throws IOException {
        // Headers are read from HttpHeaders: a @HeaderParam String costs a reflective String(String) call each.
        if (!keys.push().accepts(headers.getHeaderString(HttpHeaders.AUTHORIZATION))) return JsonResponses.unauthorized();
        int max = config.pushMaxBytes();
        byte[] bytes = BoundedBody.read(headers.getHeaderString(HttpHeaders.CONTENT_LENGTH), body, max);
        if (bytes == null) return JsonResponses.bodyTooLarge("push body", max);
        if (ReceiptPush.mentioned(bytes)) {
            Object waiting = receipts.handle(bytes);
            if (waiting != null) return waiting;
        }
        if (PushBatch.mayBeBatch(bytes)) return batch(bytes);
        PushRequest req;
        try {
            req = PushRequest.parse(bytes);
        } catch (PushRequest.Invalid e) {
            return JsonResponses.error(400, "bad_request", e.getMessage());
        }
        Broker.Published published;
        try {
            published = node.push(req.userId(), req.event(), req.message(), req.id());
        } catch (IllegalStateException stopping) {
            return JsonResponses.error(503, "unavailable", "wspush is shutting down; retry on another node");
        }
        // What JSON-P would write, without it; the offset only with history (0: history off or unreachable).
        return JsonResponses.status(200, published.offset() > 0
                ? "{\"delivered\":" + published.delivered() + ",\"offset\":" + published.offset() + "}"
                : "{\"delivered\":" + published.delivered() + "}");
    }

    /** Multicast, broadcast and arrays (see docs/PROTOCOL.md, "Pushing"); a single push answers as above. */
    private Response batch(byte[] bytes) {
        PushBatch.Parsed parsed;
        try {
            parsed = PushBatch.parse(bytes, config.pushMaxItems());
        } catch (PushRequest.Invalid e) {
            return JsonResponses.error(400, "bad_request", e.getMessage());
        } catch (PushBatch.TooMany e) {
            return JsonResponses.error(413, "too_many_items", e.getMessage());
        }
        StringWriter w = new StringWriter();
        if (!parsed.array()) {
            try (JsonGenerator g = Jsonp.GENERATORS.createGenerator(w)) {
                answer(g, parsed.items().get(0));
            } catch (IllegalStateException stopping) {
                return JsonResponses.error(503, "unavailable", "wspush is shutting down; retry on another node");
            }
            return JsonResponses.status(200, w.toString());
        }
        // Each item is pushed as its answer is written; the sum goes before the answers.
        long sum = 0;
        try (JsonGenerator g = Jsonp.GENERATORS.createGenerator(w)) {
            g.writeStartArray();
            List<PushBatch.Item> items = parsed.items();
            for (int i = 0; i < items.size(); ) {
                // A run of single pushes goes to the broker at once, so their round trips to Redis overlap.
                int end = i;
                while (end < items.size() && items.get(end) instanceof PushBatch.Single) end++;
                if (end - i > 1) {
                    sum += singles(g, items.subList(i, end));
                    i = end;
                    continue;
                }
                try {
                    sum += answer(g, items.get(i));
                } catch (IllegalStateException stopping) {
                    unavailable(g);
                }
                i++;
            }
            g.writeEnd();
        }
        return JsonResponses.status(200, "{\"delivered\":" + Math.min(Integer.MAX_VALUE, sum) + ",\"results\":" + w + "}");
    }

    private static void unavailable(JsonGenerator g) {
        g.writeStartObject().write("error", "unavailable")
                .write("message", "wspush is shutting down; retry on another node").writeEnd();
    }

    /** Pushes consecutive single items in one go and writes their answers, as each would answer alone. */
    private long singles(JsonGenerator g, List<PushBatch.Item> run) {
        long now = System.currentTimeMillis();
        List<Delivery> ds = new ArrayList<>(run.size());
        List<String> ids = new ArrayList<>(run.size());
        for (PushBatch.Item item : run) {
            PushRequest req = ((PushBatch.Single) item).request();
            ds.add(new Delivery(req.userId(), req.event(), req.message(), now));
            ids.add(req.id());
        }
        Broker.Published[] ps;
        try {
            ps = node.pushEach(ds, ids);
        } catch (IllegalStateException stopping) {
            for (int i = 0; i < run.size(); i++) unavailable(g);
            return 0;
        }
        long sum = 0;
        for (Broker.Published p : ps) {
            g.writeStartObject().write("delivered", p.delivered());
            if (p.offset() > 0) g.write("offset", p.offset());
            g.writeEnd();
            sum += p.delivered();
        }
        return sum;
    }

    /**
     * Pushes one item and writes its answer object.
     *
     * @return the item's delivered count
     * @throws IllegalStateException while the node is not running (before anything of the item was pushed)
     */
    private int answer(JsonGenerator g, PushBatch.Item item) {
        if (item instanceof PushBatch.Bad bad) {
            g.writeStartObject().write("error", "bad_request").write("message", bad.message()).writeEnd();
            return 0;
        }
        if (item instanceof PushBatch.Single single) {
            PushRequest req = single.request();
            Broker.Published p = node.push(req.userId(), req.event(), req.message(), req.id());
            g.writeStartObject().write("delivered", p.delivered());
            if (p.offset() > 0) g.write("offset", p.offset());
            g.writeEnd();
            return p.delivered();
        }
        if (item instanceof PushBatch.Broadcast b) {
            int n = node.broadcast(b.event(), b.message());
            g.writeStartObject().write("delivered", n).writeEnd();
            return n;
        }
        PushBatch.Multi m = (PushBatch.Multi) item;
        Broker.Published[] ps = node.pushMany(m.userIds(), m.event(), m.message(), m.id());
        long sum = 0;
        for (Broker.Published p : ps) sum += p.delivered();
        int n = (int) Math.min(Integer.MAX_VALUE, sum);
        g.writeStartObject().write("delivered", n);
        if (config.history()) {
            // Each user has its own history, so its own offset (none when history was unreachable).
            g.writeStartArray("results");
            for (int i = 0; i < ps.length; i++) {
                g.writeStartObject().write("userId", m.userIds().get(i)).write("delivered", ps[i].delivered());
                if (ps[i].offset() > 0) g.write("offset", ps[i].offset());
                g.writeEnd();
            }
            g.writeEnd();
        }
        g.writeEnd();
        return n;
    }
}
