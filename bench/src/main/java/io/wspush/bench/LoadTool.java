package io.wspush.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * wspush load tool: opens U users x C connections through the real protocol (HS256 token, registration frame),
 * sends P pushes over {@code POST /push} with bounded concurrency (optionally at a fixed rate), and reports connect
 * time, pushes/s, delivered messages/s, delivered/expected with lost and duplicate counts, latency percentiles
 * measured from the tool's own {@code System.nanoTime()} carried inside each message, and the server process's
 * resident memory per connection and CPU time per delivered message (from /proc of {@code --server-pid}).
 *
 * <p>Every target must be a loopback address; the tool binds nothing (client sockets only), every loop is bounded
 * in count and by {@code --max-seconds}, after which it reports what it has and exits. Run with {@code --help}.
 */
public final class LoadTool {

    private static final String USAGE = """
            usage: LoadTool --secret S --push-key K [options]
              --url URL               server base URL incl. context path (default http://127.0.0.1:8080); loopback only
              --secret S              wspush.token.secret (or env WSPUSH_BENCH_SECRET), >= 32 bytes
              --push-key K            wspush.push.key (or env WSPUSH_BENCH_PUSH_KEY)
              --users U               users (default 100)
              --conns C               connections per user (default 1)
              --pushes P              pushes; push n goes to user n %% U, reaching its C connections (default 1000)
              --concurrency N         pushes in flight at once (default 16)
              --batch B               measured pushes go B per request, as a JSON array of single pushes (pushes
                                      n..n+B-1 to users n %% U ..; wspush's batch body); 1 = one push per request
                                      (default 1). --concurrency then counts requests
              --batch-body array|multicast  how --batch goes: a JSON array of single pushes, or one multicast
                                      {"userIds":[B users],...} whose one message every user gets (message
                                      "t=..;seq=n;k=B": each user counts it as its own push number); multicast
                                      needs B <= --users (default array)
              --rate R                target pushes/s, 0 = as fast as the concurrency allows (default 0)
              --warmup W              unmeasured pushes before the measured ones (default 0)
              --warmup-rate R         pushes/s during the warm-up, 0 = as fast as the concurrency allows (default:
                                      --rate). A JVM serving from one core compiles on that core: a saturating
                                      warm-up starves its JIT threads, a paced one leaves them room
              --push-client jdk|raw   java.net.http.HttpClient (HTTP/1.1 keep-alive), or a minimal blocking
                                      HTTP/1.1 socket client per worker that costs far less tool CPU (default jdk)
              --ws-client jdk|raw     java.net.http WebSockets, or a minimal NIO WebSocket client (RawWs) on
                                      --ws-threads selector threads that costs far less tool CPU per received
                                      frame (default jdk)
              --protocol v1|plain     wspush.v1 envelopes, or plain wserver frames (default v1)
              --target T              the server's kind: wspush, wserver (Go; plain protocol, an event is
                                      mandatory: "bench" unless --event) or nchan (nginx module; one channel per
                                      user, bench/peers/nchan.conf's paths); see Target (default wspush)
              --event E               register and push with this event name (default none)
              --user-prefix S         user ids are S0..S(U-1) (default bench-u)
              --connect-concurrency N handshakes+registrations in flight at once (default 200)
              --connect-timeout S     per connection, seconds (default 15)
              --clients N             HttpClients to shard WebSockets over (one selector thread each; default
                                      connections/4000 rounded up)
              --ws-threads N          listener threads shared by the WebSocket clients (default 2; raw: 1)
              --server-pid PID        server JVM to measure (VmRSS, CPU ticks from /proc)
              --heap                  also run a full GC in the server via jcmd and report used heap (before and
                                      after connecting; perturbs the server, so not during the push phase)
              --settle S              seconds to wait after connecting before measuring memory (default 2)
              --hold S                seconds to hold the connections idle before pushing (default 0)
              --drain S               stop waiting for messages after S seconds without progress (default 5)
              --max-seconds S         global deadline: report and exit after S seconds (default 110)
              --timeline S            time to steady state: push at full load (or --rate) for S seconds instead
                                      of --pushes, sample delivered messages/s and server CPU per message every
                                      --timeline-interval seconds (default 1), and report when the rolling 5-interval
                                      rate (and CPU/msg) entered and stayed within 10%% of the final quarter's median
                                      (bench/BENCHMARKS.md, "Warm-up and containers"). --server-ready-s X: the
                                      server's start-up time, for the report
              --name NAME             scenario name in the report (default custom)
              --label TEXT            free text in the JSON line (e.g. a git revision)
              --out FILE              append one JSON line per run to FILE
            exit code: 0 all delivered exactly once, 1 losses/duplicates/failures, 2 bad arguments, 3 deadline hit
            """;

    // ---- options
    private final Map<String, String> opt;
    private final URI base;
    private final URI wsBase;
    private final String pushKey;
    private final byte[] secret;
    private final int users;
    private final int connsPerUser;
    private final int total;
    private final long pushes;
    private final int concurrency;
    private final int batch;
    private final boolean multicast;
    private final double rate;
    private final long warmup;
    private final double warmupRate;
    private final boolean v1;
    private final Target target;
    private final boolean rawPush;
    private final boolean rawWs;
    private RawWs rawWsClient;
    private final ThreadLocal<RawHttp> rawClient = new ThreadLocal<>();
    private final String event;
    private final String userPrefix;
    private final int connectConcurrency;
    private final Duration connectTimeout;
    private final int clientCount;
    private final int wsThreads;
    private final long serverPid;
    private final boolean heap;
    private final double settle;
    private final double hold;
    private final double drain;
    private final long deadline;
    private final String name;
    private final String label;
    private final String out;
    private final Timeline timeline;
    private final double serverReadySeconds;

    // ---- state
    private final Stats stats;
    private final Conn[] conns;
    private final List<HttpClient> wsClients = new ArrayList<>();
    private ExecutorService wsExecutor;
    private HttpClient pushClient;
    private ExecutorService pushExecutor;
    private final Map<String, LongAdder> connectFailures = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> pushFailures = new ConcurrentHashMap<>();
    private final AtomicIntegerArray okPushesPerUser;
    private final LongAdder serverDelivered = new LongAdder();
    private final LongAdder pushOk = new LongAdder();
    private volatile boolean deadlineHit;
    private final Map<String, Object> report = new LinkedHashMap<>();
    private final PrintStream log = System.out;

    public static void main(String[] args) {
        LoadTool tool;
        try {
            tool = new LoadTool(parse(args));
        } catch (IllegalArgumentException e) {
            System.err.println("LoadTool: " + e.getMessage());
            System.err.print(USAGE.replace("%%", "%"));
            System.exit(2);
            return;
        }
        int rc;
        try {
            rc = tool.run();
        } catch (Throwable t) {
            t.printStackTrace();
            rc = 1;
        }
        System.out.flush();
        System.exit(rc);
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                System.out.print(USAGE.replace("%%", "%"));
                System.exit(0);
            }
            if (!a.startsWith("--")) throw new IllegalArgumentException("unexpected argument " + a);
            String key = a.substring(2);
            if (key.equals("heap")) {
                m.put(key, "true");
                continue;
            }
            int eq = key.indexOf('=');
            if (eq > 0) {
                m.put(key.substring(0, eq), key.substring(eq + 1));
            } else {
                if (i + 1 >= args.length) throw new IllegalArgumentException("missing value for " + a);
                m.put(key, args[++i]);
            }
        }
        return m;
    }

    private LoadTool(Map<String, String> o) {
        this.opt = o;
        long start = System.nanoTime();
        double maxSeconds = dbl("max-seconds", 110, 1, 86_400);
        deadline = start + (long) (maxSeconds * 1e9);
        String url = str("url", "http://127.0.0.1:8080");
        if (!url.endsWith("/")) url += "/";
        base = URI.create(url);
        if (!"http".equals(base.getScheme()) || base.getHost() == null) {
            throw new IllegalArgumentException("--url must be http://<loopback host>:<port>/<context>");
        }
        requireLoopback(base.getHost());
        wsBase = URI.create("ws" + url.substring(4));
        String s = str("secret", System.getenv("WSPUSH_BENCH_SECRET"));
        if (s == null || s.getBytes(StandardCharsets.UTF_8).length < 32) {
            throw new IllegalArgumentException("--secret (or WSPUSH_BENCH_SECRET) of at least 32 bytes is required");
        }
        secret = s.getBytes(StandardCharsets.UTF_8);
        pushKey = str("push-key", System.getenv("WSPUSH_BENCH_PUSH_KEY"));
        if (pushKey == null) throw new IllegalArgumentException("--push-key (or WSPUSH_BENCH_PUSH_KEY) is required");
        users = (int) lng("users", 100, 1, 1_000_000);
        connsPerUser = (int) lng("conns", 1, 1, 1_000_000);
        if ((long) users * connsPerUser > 1_000_000) throw new IllegalArgumentException("at most 1,000,000 connections");
        total = users * connsPerUser;
        serverReadySeconds = dbl("server-ready-s", -1, -1, 86_400);
        timeline = Timeline.of(dbl("timeline", 0, 0, 3600), dbl("timeline-interval", 1, 0.1, 60), serverReadySeconds);
        pushes = lng("pushes", timeline != null ? 100_000_000 : 1000, 0, 100_000_000); // timeline: bounded by time
        concurrency = (int) lng("concurrency", 16, 1, 1024);
        batch = (int) lng("batch", 1, 1, 10_000);
        String body = str("batch-body", "array");
        if (!body.equals("array") && !body.equals("multicast")) throw new IllegalArgumentException("--batch-body array|multicast");
        multicast = body.equals("multicast");
        rate = dbl("rate", 0, 0, 10_000_000);
        warmup = lng("warmup", 0, 0, 10_000_000);
        warmupRate = dbl("warmup-rate", rate, 0, 10_000_000);
        String proto = str("protocol", "v1");
        if (!proto.equals("v1") && !proto.equals("plain")) throw new IllegalArgumentException("--protocol v1|plain");
        v1 = proto.equals("v1");
        target = Target.parse(str("target", "wspush"));
        if (!target.wspushOnly() && (v1 || batch > 1)) {
            throw new IllegalArgumentException("--target " + target.id() + " takes --protocol plain and no --batch");
        }
        if (multicast && batch > users) throw new IllegalArgumentException("--batch-body multicast needs --batch <= --users");
        String pc = str("push-client", "jdk");
        if (!pc.equals("jdk") && !pc.equals("raw")) throw new IllegalArgumentException("--push-client jdk|raw");
        rawPush = pc.equals("raw");
        String wc = str("ws-client", "jdk");
        if (!wc.equals("jdk") && !wc.equals("raw")) throw new IllegalArgumentException("--ws-client jdk|raw");
        rawWs = wc.equals("raw");
        event = target.event(str("event", null));
        userPrefix = str("user-prefix", "bench-u");
        connectConcurrency = (int) lng("connect-concurrency", 200, 1, 100_000);
        connectTimeout = Duration.ofMillis((long) (dbl("connect-timeout", 15, 0.1, 3600) * 1000));
        clientCount = (int) lng("clients", Math.max(1, Math.min(16, (total + 3999) / 4000)), 1, 256);
        wsThreads = (int) lng("ws-threads", rawWs ? 1 : 2, 1, 256);
        serverPid = lng("server-pid", -1, -1, Long.MAX_VALUE);
        heap = Boolean.parseBoolean(str("heap", "false"));
        settle = dbl("settle", 2, 0, 3600);
        hold = dbl("hold", 0, 0, 86_400);
        drain = dbl("drain", 5, 0.1, 3600);
        name = str("name", "custom");
        label = str("label", "");
        out = str("out", null);
        if (!o.isEmpty()) throw new IllegalArgumentException("unknown option(s) " + o.keySet());
        stats = new Stats(v1, users);
        conns = new Conn[total];
        for (int i = 0; i < total; i++) conns[i] = new Conn(i, i / connsPerUser, stats);
        okPushesPerUser = new AtomicIntegerArray(users);
    }

    // ------------------------------------------------------------------------------------------------------ run

    private int run() throws Exception {
        Thread watchdog = new Thread(() -> {
            // Last resort if a phase hangs past the deadline despite its own bounds.
            long wait = deadline - System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            if (wait > 0) LockSupport.parkNanos(wait);
            System.err.println("LoadTool: hard deadline passed, halting");
            Runtime.getRuntime().halt(3);
        }, "watchdog");
        watchdog.setDaemon(true);
        watchdog.start();

        long fdLimit = ProcStats.ownFdLimit();
        if (fdLimit >= 0 && fdLimit < total + 100L + concurrency) {
            throw new IllegalStateException("open-file limit " + fdLimit + " is too low for " + total
                    + " connections: raise it (ulimit -n " + Math.min(1_048_576, total + 1000) + ")");
        }
        ProcStats server = serverPid > 0 ? new ProcStats(serverPid) : null;
        if (server != null && !server.alive()) throw new IllegalStateException("no process " + serverPid);
        ProcStats self = new ProcStats(ProcessHandle.current().pid());

        log.printf(Locale.ROOT, "wspush LoadTool [%s] -> %s: %d users x %d conns = %d connections, %d pushes, concurrency %d%s, %s, %s, %s push client%n",
                name, target.id(), users, connsPerUser, total, pushes, concurrency, rate > 0 ? ", rate " + fmt(rate) + "/s" : "",
                v1 ? "wspush.v1" : "plain", rawWs ? "raw ws client (" + wsThreads + " thread(s))" : clientCount + " jdk ws client(s)",
                rawPush ? "raw" : "jdk");

        if (rawWs) {
            rawWsClient = new RawWs(wsThreads);
        } else {
            wsExecutor = Executors.newFixedThreadPool(wsThreads, daemon("ws"));
            for (int i = 0; i < clientCount; i++) {
                wsClients.add(HttpClient.newBuilder().executor(wsExecutor).connectTimeout(connectTimeout).build());
            }
        }
        pushExecutor = Executors.newFixedThreadPool(Math.max(2, Math.min(4, concurrency)), daemon("push-io"));
        pushClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(pushExecutor)
                .connectTimeout(connectTimeout).build();

        // --- baseline
        long rssBefore = -1, heapBefore = -1, cpuBefore = -1;
        if (server != null) {
            if (heap) heapBefore = server.heapAfterGcKb();
            rssBefore = server.rssKb();
            cpuBefore = server.cpuTicks();
        }

        // --- connect
        String[] tokens = new String[users];
        Jwt jwt = new Jwt(secret);
        for (int u = 0; u < users; u++) tokens[u] = jwt.mint(userPrefix + u, 24 * 3600);
        long connectStart = System.nanoTime();
        int connected = connect(tokens);
        long connectNanos = System.nanoTime() - connectStart;
        log.printf(Locale.ROOT, "connect: %d/%d in %.2f s (%.0f/s), handshake+registration p50 %.1f ms p99 %.1f ms max %.1f ms%s%n",
                connected, total, connectNanos / 1e9, connected / (connectNanos / 1e9),
                stats.connectMicros.percentile(0.5) / 1e3, stats.connectMicros.percentile(0.99) / 1e3,
                stats.connectMicros.max() / 1e3, connectFailures.isEmpty() ? "" : "; failures: " + Stats.flatten(connectFailures));
        int notReady = 0;
        if (!v1 && connected > 0 && !expired()) {
            notReady = probeUsers();
            if (notReady > 0) log.printf("plain readiness: %d user(s) never reached all their connections%n", notReady);
        }

        // --- idle measurements
        sleepSeconds(settle);
        long rssConnected = -1, heapConnected = -1, cpuConnected = -1, threadsConnected = -1, fdsConnected = -1;
        long rssAfterGc = -1;
        if (server != null) {
            rssConnected = server.rssKb();
            cpuConnected = server.cpuTicks();
            threadsConnected = server.threads();
            fdsConnected = server.openFds();
            if (heap) {
                heapConnected = server.heapAfterGcKb();
                // The RSS above still holds the handshakes' garbage. Sampled again after the full GC, it shows
                // whether the JVM gives those pages back (Serial GC on JDK 17 kept them, even with
                // -XX:MaxHeapFreeRatio=20: bench/BENCHMARKS.md).
                rssAfterGc = server.rssKb();
            }
            log.printf(Locale.ROOT, "server idle: RSS %d -> %d KiB = %s bytes/connection%s, threads %d, fds %d, CPU %.0f ms for connecting%n",
                    rssBefore, rssConnected, perConn(rssBefore, rssConnected, connected),
                    heap ? "; heap after GC " + heapBefore + " -> " + heapConnected + " KiB = " + perConn(heapBefore, heapConnected, connected)
                            + " bytes/connection; RSS after that GC " + rssAfterGc + " KiB = " + perConn(rssBefore, rssAfterGc, connected)
                            + " bytes/connection" : "",
                    threadsConnected, fdsConnected, server.ticksToMs(cpuConnected - cpuBefore));
        }
        log.printf(Locale.ROOT, "tool RSS %d KiB (%s bytes/connection)%n", self.rssKb(), connected == 0 ? "-" : Long.toString(self.rssKb() * 1024 / connected));
        if (hold > 0 && !expired()) {
            log.printf(Locale.ROOT, "holding %d connections for %.0f s%n", connected, hold);
            sleepSeconds(hold);
        }
        int openBeforePush = countOpen();

        // --- warm-up (probe messages, not measured)
        if (warmup > 0 && !expired()) {
            long before = stats.probes.sum();
            long delivered0 = serverDelivered.sum();
            pushPhase(warmup, true, warmupRate);
            long expectProbes = serverDelivered.sum() - delivered0;
            waitFor(() -> stats.probes.sum() - before >= expectProbes, drain);
            serverDelivered.add(-(serverDelivered.sum() - delivered0));
            pushOk.reset();
            pushFailures.clear();
            for (int u = 0; u < users; u++) okPushesPerUser.set(u, 0);
            log.printf("warm-up: %d pushes%n", warmup);
        }

        // --- push
        long[] pushUs0 = server != null ? server.userSystemTicks() : null;
        long pushCpu0 = server != null ? server.cpuTicks() : -1;
        long selfCpu0 = self.cpuTicks();
        long[] machine0 = ProcStats.machineTicks();
        long pushStart = System.nanoTime();
        if (timeline != null) timeline.start(stats.received::sum, server, serverPid, self);
        long pushEnd = pushes > 0 && !expired() ? pushPhase(pushes, false, rate) : pushStart;
        if (timeline != null) timeline.stop();
        long expected = expectedTotal();
        boolean drained = waitFor(() -> stats.received.sum() >= expected, drain);
        long pushCpu1 = server != null ? server.cpuTicks() : -1;
        long[] pushUs1 = server != null ? server.userSystemTicks() : null;
        long selfCpu1 = self.cpuTicks();
        long[] machine1 = ProcStats.machineTicks();
        long lastRecv = stats.lastReceiveNanos.get();
        long rssAfter = server != null ? server.rssKb() : -1;
        long hwm = server != null ? server.hwmKb() : -1;

        // --- verify
        long lost = 0, extra = 0, dups = 0, misrouted = 0, short_ = 0, closed = 0;
        for (Conn c : conns) {
            if (!c.connected) continue;
            long exp = okPushesPerUser.get(c.user);
            int got = c.received();
            if (got < exp) {
                lost += exp - got;
                short_++;
            } else {
                extra += got - exp;
            }
            dups += c.duplicates();
            misrouted += c.misrouted();
            if (!c.open) closed++;
        }
        long received = stats.received.sum();

        // --- report
        double pushSeconds = Math.max(1e-9, (pushEnd - pushStart) / 1e9);
        double deliverSeconds = Math.max(1e-9, ((lastRecv > pushStart ? lastRecv : pushEnd) - pushStart) / 1e9);
        long okPushes = pushOk.sum();
        // A timeline run is bounded by time: what it meant to send is what it sent.
        long sent = timeline == null ? pushes : okPushes + pushFailures.values().stream().mapToLong(LongAdder::sum).sum();
        put("name", name);
        put("label", label);
        put("time", Instant.now().toString());
        put("target", target.id());
        put("protocol", v1 ? "wspush.v1" : "plain");
        put("users", users);
        put("conns_per_user", connsPerUser);
        put("connections", total);
        put("pushes", pushes);
        put("concurrency", concurrency);
        put("batch", batch);
        put("batch_body", multicast ? "multicast" : "array");
        put("rate_target", rate);
        put("warmup", warmup);
        put("warmup_rate", warmupRate);
        put("clients", clientCount);
        put("push_client", rawPush ? "raw" : "jdk");
        put("ws_client", rawWs ? "raw" : "jdk");
        put("connect_ok", connected);
        put("connect_failed", total - connected);
        put("connect_s", round(connectNanos / 1e9, 3));
        put("connects_per_s", round(connected / (connectNanos / 1e9), 1));
        put("connect_p50_ms", round(stats.connectMicros.percentile(0.5) / 1e3, 3));
        put("connect_p99_ms", round(stats.connectMicros.percentile(0.99) / 1e3, 3));
        put("connect_max_ms", round(stats.connectMicros.max() / 1e3, 3));
        put("plain_users_not_ready", notReady);
        put("open_before_push", openBeforePush);
        put("push_ok", okPushes);
        put("push_failed", sent - okPushes);
        put("push_s", round(pushSeconds, 3));
        put("pushes_per_s", round(okPushes / pushSeconds, 1));
        put("server_reported_delivered", serverDelivered.sum());
        put("expected", expected);
        put("delivered", received);
        put("delivered_ratio", expected == 0 ? 1.0 : round((double) received / expected, 6));
        put("lost", lost);
        put("extra", extra);
        put("duplicates", dups);
        put("misrouted", misrouted);
        put("unparsable", stats.unparsable.sum());
        put("conns_short", short_);
        put("closed_during_run", closed);
        put("delivered_per_s", round(received / deliverSeconds, 1));
        put("lat_p50_ms", ms(stats.latencyMicros.percentile(0.50)));
        put("lat_p90_ms", ms(stats.latencyMicros.percentile(0.90)));
        put("lat_p99_ms", ms(stats.latencyMicros.percentile(0.99)));
        put("lat_p999_ms", ms(stats.latencyMicros.percentile(0.999)));
        put("lat_max_ms", ms(stats.latencyMicros.max()));
        put("lat_mean_ms", round(stats.latencyMicros.mean() / 1e3, 3));
        if (v1) {
            put("accept_to_recv_p50_ms", ms(stats.acceptToReceiveMicros.percentile(0.5)));
            put("accept_to_recv_p99_ms", ms(stats.acceptToReceiveMicros.percentile(0.99)));
        }
        put("server_pid", serverPid);
        if (timeline == null) put("server_ready_s", serverReadySeconds); // a timeline reports it with its own figures
        put("server_rss_before_kb", rssBefore);
        put("server_rss_connected_kb", rssConnected);
        put("server_rss_after_kb", rssAfter);
        put("server_rss_hwm_kb", hwm);
        put("server_rss_per_conn_bytes", perConnNum(rssBefore, rssConnected, connected));
        put("server_heap_before_kb", heapBefore);
        put("server_heap_connected_kb", heapConnected);
        put("server_heap_per_conn_bytes", perConnNum(heapBefore, heapConnected, connected));
        put("server_rss_after_gc_kb", rssAfterGc);
        put("server_rss_after_gc_per_conn_bytes", perConnNum(rssBefore, rssAfterGc, connected));
        put("server_threads_connected", threadsConnected);
        put("server_fds_connected", fdsConnected);
        put("server_cpu_connect_ms", server == null ? -1 : round(server.ticksToMs(cpuConnected - cpuBefore), 1));
        put("server_cpu_push_ms", server == null ? -1 : round(server.ticksToMs(pushCpu1 - pushCpu0), 1));
        put("server_cpu_us_per_msg", server == null || received == 0 ? -1
                : round(server.ticksToMs(pushCpu1 - pushCpu0) * 1000 / received, 3));
        // Split into user and kernel mode (system calls, the TCP stack): the peers differ most in the second.
        boolean split = pushUs0 != null && pushUs1 != null && received > 0;
        put("server_cpu_user_us_per_msg", split ? round(server.ticksToMs(pushUs1[0] - pushUs0[0]) * 1000 / received, 3) : -1);
        put("server_cpu_sys_us_per_msg", split ? round(server.ticksToMs(pushUs1[1] - pushUs0[1]) * 1000 / received, 3) : -1);
        put("server_cpu_pct_push", server == null || pushes == 0 ? -1
                : round(server.ticksToMs(pushCpu1 - pushCpu0) / 10 / deliverSeconds, 1));
        put("tool_rss_kb", self.rssKb());
        put("tool_cpu_push_ms", round(self.ticksToMs(selfCpu1 - selfCpu0), 1));
        put("tool_cpu_pct_push", pushes == 0 ? -1 : round(self.ticksToMs(selfCpu1 - selfCpu0) / 10 / deliverSeconds, 1));
        // What everything else on the machine used meanwhile (other engineers' builds...): the noise in these figures.
        long machineBusy = machine0 == null || machine1 == null ? -1 : machine1[0] - machine0[0];
        long machineAll = machine0 == null || machine1 == null ? -1 : machine1[1] - machine0[1];
        put("others_cpu_pct_push", machineBusy < 0 || machineAll <= 0 || server == null ? -1
                : round(100.0 * (machineBusy - (pushCpu1 - pushCpu0) - (selfCpu1 - selfCpu0)) / (machineAll / (double) ProcStats.cpus()), 1));
        put("loadavg_1m", ProcStats.loadAverage());
        put("guest_halt_poll_ns", ProcStats.guestHaltPollNs());
        put("pings", stats.pings.sum());
        put("close_codes", Stats.flatten(stats.closeCodes));
        put("ws_errors", Stats.flatten(stats.errors));
        put("connect_failures", Stats.flatten(connectFailures));
        put("push_failures", Stats.flatten(pushFailures));
        put("drained", drained);
        put("deadline_hit", deadlineHit);
        if (timeline != null) timeline.report(log, report);
        boolean ok = !deadlineHit && connected == total && okPushes == sent && lost == 0 && extra == 0
                && dups == 0 && misrouted == 0 && received == expected;
        put("ok", ok);

        if (pushes > 0) {
            log.printf(Locale.ROOT, "push: %d/%d ok in %.2f s = %.0f pushes/s%s%n", okPushes, sent, pushSeconds, okPushes / pushSeconds,
                    pushFailures.isEmpty() ? "" : "; failures: " + Stats.flatten(pushFailures));
            log.printf(Locale.ROOT, "delivered: %d/%d (%.4f%%) = %.0f msgs/s; lost %d, duplicates %d, extra %d, misrouted %d, connections short %d, closed %d%n",
                    received, expected, expected == 0 ? 100.0 : 100.0 * received / expected, received / deliverSeconds,
                    lost, dups, extra, misrouted, short_, closed);
            log.printf(Locale.ROOT, "latency ms (push sent -> frame received): p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f%n",
                    stats.latencyMicros.percentile(0.5) / 1e3, stats.latencyMicros.percentile(0.9) / 1e3,
                    stats.latencyMicros.percentile(0.99) / 1e3, stats.latencyMicros.percentile(0.999) / 1e3,
                    stats.latencyMicros.max() / 1e3);
            if (server != null) {
                log.printf(Locale.ROOT, "server: CPU %.0f ms for the push phase = %s us/delivered message (user %s, system %s; %.0f%% of a core); RSS after %d KiB (peak %d KiB)%n",
                        server.ticksToMs(pushCpu1 - pushCpu0), report.get("server_cpu_us_per_msg"),
                        report.get("server_cpu_user_us_per_msg"), report.get("server_cpu_sys_us_per_msg"), report.get("server_cpu_pct_push"),
                        rssAfter, hwm);
            }
            log.printf(Locale.ROOT, "tool: CPU %.0f ms for the push phase (%.0f%% of a core; near 100%% means the tool, not the server, set the pace)%n",
                    self.ticksToMs(selfCpu1 - selfCpu0), report.get("tool_cpu_pct_push"));
        }
        if (!stats.closeCodes.isEmpty() || !stats.errors.isEmpty()) {
            log.println("closes: " + Stats.flatten(stats.closeCodes) + (stats.errors.isEmpty() ? "" : "; errors: " + Stats.flatten(stats.errors)));
        }
        log.println(deadlineHit ? "DEADLINE HIT (--max-seconds): partial results" : ok ? "OK" : "NOT OK");
        String json = toJson(report);
        log.println("JSON " + json);
        if (out != null) {
            Files.writeString(Path.of(out), json + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        closeAll();
        return deadlineHit ? 3 : ok ? 0 : 1;
    }

    // -------------------------------------------------------------------------------------------------- phases

    private int connect(String[] tokens) throws InterruptedException {
        Semaphore permits = new Semaphore(connectConcurrency);
        AtomicInteger ok = new AtomicInteger();
        long registerWait = connectTimeout.toMillis() * 2;
        outer:
        for (int i = 0; i < total; i++) {
            while (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                if (expired()) break outer;
            }
            if (expired()) {
                permits.release();
                break;
            }
            Conn c = conns[i];
            String reg = target.registration(tokens[c.user], event);
            URI wsUri = target.wsUri(wsBase, userPrefix + c.user);
            c.startNanos = System.nanoTime();
            CompletableFuture<?> f;
            try {
                CompletableFuture<WebSocket> open;
                if (rawWs) {
                    open = rawWsClient.connect(wsUri, v1 ? "wspush.v1" : null, c, connectTimeout);
                } else {
                    WebSocket.Builder b = wsClients.get(i % wsClients.size()).newWebSocketBuilder().connectTimeout(connectTimeout);
                    if (v1) b.subprotocols("wspush.v1");
                    open = b.buildAsync(wsUri, c);
                }
                f = open
                        .thenCompose(ws -> {
                            c.ws = ws;
                            return reg == null ? CompletableFuture.completedFuture(ws) : ws.sendText(reg, true);
                        })
                        .thenCompose(ws -> v1 ? c.registered : CompletableFuture.completedFuture(null))
                        .orTimeout(registerWait, TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            f.whenComplete((x, ex) -> {
                if (ex == null) {
                    c.connected = true;
                    stats.connectMicros.record((System.nanoTime() - c.startNanos) / 1000);
                    ok.incrementAndGet();
                } else {
                    WebSocket ws = c.ws;
                    if (ws != null) ws.abort();
                    connectFailures.computeIfAbsent(reason(ex), k -> new LongAdder()).increment();
                }
                permits.release();
            });
        }
        // Wait for the handshakes still in flight (each is bounded by its own timeout).
        long waitMs = Math.min(registerWait + 1000, remainingMillis());
        if (!permits.tryAcquire(connectConcurrency, Math.max(0, waitMs), TimeUnit.MILLISECONDS)) {
            log.println("connect: some handshakes still pending at the deadline");
        }
        return ok.get();
    }

    /** Plain clients get no registration ack: push a probe to each user until it reached all its connections. */
    private int probeUsers() throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger notReady = new AtomicInteger();
        Runnable worker = () -> {
            for (int u; (u = next.getAndIncrement()) < users && !expired(); ) {
                boolean ready = false;
                for (int attempt = 0; attempt < 100 && !expired(); attempt++) {
                    long d = post(userPrefix + u, "probe;ready", null);
                    if (d >= connsPerUser) {
                        ready = true;
                        break;
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                }
                if (!ready) notReady.incrementAndGet();
            }
        };
        runWorkers(worker, concurrency);
        return notReady.get();
    }

    /** Sends count pushes with at most {@code concurrency} in flight; returns when the last response arrived. */
    private long pushPhase(long count, boolean probe, double rate) throws InterruptedException {
        AtomicLong next = new AtomicLong();
        long start = System.nanoTime();
        AtomicLong lastResponse = new AtomicLong(start);
        int per = probe ? 1 : batch;
        Runnable worker = per > 1 ? () -> {
            for (long n; (n = next.getAndAdd(per)) < count; ) {
                if (expired() || !probe && timeline != null && timeline.over()) return;
                if (rate > 0) {
                    long due = start + (long) (n * 1e9 / rate);
                    long wait = due - System.nanoTime();
                    if (wait > 0) LockSupport.parkNanos(wait);
                }
                int k = (int) Math.min(per, count - n);
                String body = multicast ? multicastBody(n, k) : arrayBody(n, k);
                long d = send(target.pushPath(null), body, pushFailures);
                if (d >= 0) {
                    serverDelivered.add(d);
                    pushOk.add(k);
                    for (int i = 0; i < k; i++) okPushesPerUser.incrementAndGet((int) ((n + i) % users));
                }
                lastResponse.accumulateAndGet(System.nanoTime(), Math::max);
            }
        } : () -> {
            for (long n; (n = next.getAndIncrement()) < count; ) {
                if (expired() || !probe && timeline != null && timeline.over()) return;
                if (rate > 0) {
                    long due = start + (long) (n * 1e9 / rate);
                    long wait = due - System.nanoTime();
                    if (wait > 0) LockSupport.parkNanos(wait);
                }
                int u = (int) (n % users);
                String msg = probe ? "probe;w=" + n : "t=" + System.nanoTime() + ";seq=" + n;
                long d = post(userPrefix + u, msg, probe ? null : pushFailures);
                if (d >= 0) {
                    serverDelivered.add(d);
                    pushOk.increment();
                    okPushesPerUser.incrementAndGet(u);
                }
                lastResponse.accumulateAndGet(System.nanoTime(), Math::max);
            }
        };
        runWorkers(worker, concurrency);
        return lastResponse.get();
    }

    /** Pushes n..n+k-1 as a JSON array of single pushes, each with its own message. */
    private String arrayBody(long n, int k) {
        StringBuilder body = new StringBuilder(k * 80).append('[');
        long t = System.nanoTime();
        for (int i = 0; i < k; i++) {
            long m = n + i;
            if (i > 0) body.append(',');
            body.append(pushBody(userPrefix + (int) (m % users), "t=" + t + ";seq=" + m));
        }
        return body.append(']').toString();
    }

    /** Pushes n..n+k-1 as one multicast: one message, which each user reads as its own push number (Conn). */
    private String multicastBody(long n, int k) {
        StringBuilder body = new StringBuilder(k * 16 + 100).append("{\"userIds\":[");
        for (int i = 0; i < k; i++) {
            if (i > 0) body.append(',');
            body.append(jsonString(userPrefix + (int) ((n + i) % users)));
        }
        body.append(']');
        if (event != null) body.append(",\"event\":").append(jsonString(event));
        return body.append(",\"message\":\"t=").append(System.nanoTime()).append(";seq=").append(n)
                .append(";k=").append(k).append("\"}").toString();
    }

    /** One push; returns the server's delivered count, or -1 (failure recorded when failures != null). */
    private long post(String userId, String message, Map<String, LongAdder> failures) {
        return send(target.pushPath(userId), pushBody(userId, message), failures);
    }

    private String pushBody(String userId, String message) {
        return target.pushBody(userId, event, message);
    }

    /**
     * One request (a push, or an array of them); returns the server's delivered count (an array's: the sum, its
     * first member), or -1. A 200 whose body names an error (an array item refused) counts as a failure.
     */
    private long send(String path, String body, Map<String, LongAdder> failures) {
        if (rawPush) return postRaw(path, body, failures);
        HttpRequest req = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + pushKey)
                .header("Accept", "application/json")
                .header("Content-Type", target.contentType())
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        String why;
        try {
            HttpResponse<String> res = pushClient.send(req, HttpResponse.BodyHandlers.ofString());
            return answer(res.statusCode(), res.body(), failures);
        } catch (IOException e) {
            why = e.getClass().getSimpleName();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            why = "interrupted";
        }
        return failed(why, failures);
    }

    private long postRaw(String path, String body, Map<String, LongAdder> failures) {
        RawHttp c = rawClient.get();
        if (c == null) {
            c = new RawHttp(base, "Bearer " + pushKey, target.contentType(), target == Target.NCHAN ? "application/json" : null, 30_000);
            rawClient.set(c);
        }
        String why;
        try {
            RawHttp.Response res = c.post(base.resolve(path).getRawPath(), body);
            return answer(res.status(), res.body(), failures);
        } catch (IOException | RuntimeException e) {
            why = e.getClass().getSimpleName();
        }
        return failed(why, failures);
    }

    /** A push answer's count of connections reached, or -1 with the reason counted (both HTTP clients). */
    private long answer(int status, String body, Map<String, LongAdder> failures) {
        Target.Answer a = target.answer(status, body);
        return a.failure() == null ? a.delivered() : failed(a.failure(), failures);
    }

    private static long failed(String why, Map<String, LongAdder> failures) {
        if (failures != null) failures.computeIfAbsent(why, k -> new LongAdder()).increment();
        return -1;
    }

    private void runWorkers(Runnable worker, int n) throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        Runnable wrapped = () -> {
            try {
                worker.run();
            } finally {
                RawHttp c = rawClient.get();
                if (c != null) c.close();
                rawClient.remove();
            }
        };
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(wrapped, "push-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            // Each request is bounded by its 30 s timeout; past the deadline, stop waiting.
            t.join(Math.max(1, remainingMillis() + 5000));
        }
    }

    private long expectedTotal() {
        long sum = 0;
        for (Conn c : conns) {
            if (c.connected) sum += okPushesPerUser.get(c.user);
        }
        return sum;
    }

    private int countOpen() {
        int n = 0;
        for (Conn c : conns) if (c.connected && c.open) n++;
        return n;
    }

    private void closeAll() {
        for (Conn c : conns) {
            WebSocket ws = c.ws;
            if (ws != null && !ws.isOutputClosed()) {
                try {
                    ws.sendClose(WebSocket.NORMAL_CLOSURE, "bench done");
                } catch (RuntimeException ignored) {
                    // closing anyway
                }
            }
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < until && countOpen() > 0) LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        for (Conn c : conns) if (c.ws != null) c.ws.abort();
        if (rawWsClient != null) rawWsClient.close();
    }

    // ------------------------------------------------------------------------------------------------- helpers

    private boolean expired() {
        if (System.nanoTime() - deadline >= 0) deadlineHit = true;
        return deadlineHit;
    }

    private long remainingMillis() {
        return Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
    }

    private void sleepSeconds(double s) {
        long until = System.nanoTime() + (long) (s * 1e9);
        while (!expired() && System.nanoTime() - until < 0) {
            LockSupport.parkNanos(Math.min(until - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(200)));
        }
    }

    /** Waits until cond holds, giving up after idleSeconds without a new message or at the deadline. */
    private boolean waitFor(java.util.function.BooleanSupplier cond, double idleSeconds) {
        long lastCount = -1;
        long lastChange = System.nanoTime();
        while (!cond.getAsBoolean()) {
            long c = stats.received.sum() + stats.probes.sum();
            if (c != lastCount) {
                lastCount = c;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > idleSeconds * 1e9) {
                return false;
            }
            if (expired()) return false;
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        return true;
    }

    private static String reason(Throwable ex) {
        while (ex instanceof CompletionException && ex.getCause() != null) ex = ex.getCause();
        if (ex instanceof WebSocketHandshakeException h) return "handshake http " + h.getResponse().statusCode();
        if (ex instanceof RawWs.HandshakeFailed h) {
            String[] status = String.valueOf(h.getMessage()).split(" ");
            return "handshake http " + (status.length > 1 ? status[1] : "?");
        }
        if (ex instanceof IllegalStateException && ex.getMessage() != null && ex.getMessage().startsWith("closed ")) {
            return ex.getMessage();
        }
        return ex.getClass().getSimpleName();
    }

    private static void requireLoopback(String host) {
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (!a.isLoopbackAddress()) {
                    throw new IllegalArgumentException("target " + host + " is not a loopback address: this tool only loads 127.0.0.1");
                }
            }
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("unknown host " + host);
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static String perConn(long before, long after, int n) {
        long v = perConnNum(before, after, n);
        return v < 0 ? "-" : Long.toString(v);
    }

    private static long perConnNum(long beforeKb, long afterKb, int n) {
        if (beforeKb < 0 || afterKb < 0 || n <= 0) return -1;
        return (afterKb - beforeKb) * 1024 / n;
    }

    private static double ms(long micros) {
        return round(micros / 1e3, 3);
    }

    private static double round(double v, int digits) {
        if (Double.isNaN(v) || Double.isInfinite(v)) return -1;
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private void put(String k, Object v) {
        report.put(k, v);
    }

    private String str(String k, String dflt) {
        String v = opt.remove(k);
        return v == null ? dflt : v;
    }

    private long lng(String k, long dflt, long min, long max) {
        String v = opt.remove(k);
        if (v == null) return dflt;
        try {
            long n = Long.parseLong(v.replace("_", ""));
            if (n < min || n > max) throw new IllegalArgumentException("--" + k + " must be in [" + min + ", " + max + "]");
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + k + " must be a whole number");
        }
    }

    private double dbl(String k, double dflt, double min, double max) {
        String v = opt.remove(k);
        if (v == null) return dflt;
        try {
            double n = Double.parseDouble(v);
            if (!(n >= min && n <= max)) throw new IllegalArgumentException("--" + k + " must be in [" + min + ", " + max + "]");
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + k + " must be a number");
        }
    }

    // ---------------------------------------------------------------------------------------------------- JSON

    static String jsonString(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }

    /** A flat one-line JSON object (the keys are unique, so a shell can pick fields with grep/sed). */
    static String toJson(Map<String, Object> m) {
        StringBuilder sb = new StringBuilder("{");
        m.forEach((k, v) -> {
            if (sb.length() > 1) sb.append(',');
            sb.append(jsonString(k)).append(':');
            if (v == null) sb.append("null");
            else if (v instanceof Number || v instanceof Boolean) sb.append(v);
            else sb.append(jsonString(v.toString()));
        });
        return sb.append('}').toString();
    }

    /**
     * The value of a top-level-ish field in a small JSON object: a string (unescaped), a number/boolean literal as
     * text, or null (absent or JSON null). Enough for the server's envelopes and push responses; not a parser.
     */
    static String jsonField(String json, String key) {
        if (json == null) return null;
        String k = "\"" + key + "\"";
        int i = json.indexOf(k);
        while (i >= 0) {
            int j = i + k.length();
            while (j < json.length() && Character.isWhitespace(json.charAt(j))) j++;
            if (j < json.length() && json.charAt(j) == ':') {
                j++;
                while (j < json.length() && Character.isWhitespace(json.charAt(j))) j++;
                if (j >= json.length()) return null;
                if (json.charAt(j) == '"') {
                    StringBuilder sb = new StringBuilder();
                    for (int p = j + 1; p < json.length(); p++) {
                        char c = json.charAt(p);
                        if (c == '"') return sb.toString();
                        if (c == '\\' && p + 1 < json.length()) {
                            char e = json.charAt(++p);
                            switch (e) {
                                case 'n' -> sb.append('\n');
                                case 't' -> sb.append('\t');
                                case 'r' -> sb.append('\r');
                                case 'b' -> sb.append('\b');
                                case 'f' -> sb.append('\f');
                                case 'u' -> {
                                    if (p + 4 < json.length()) {
                                        sb.append((char) Integer.parseInt(json.substring(p + 1, p + 5), 16));
                                        p += 4;
                                    }
                                }
                                default -> sb.append(e);
                            }
                        } else {
                            sb.append(c);
                        }
                    }
                    return null;
                }
                int end = j;
                while (end < json.length() && ",}] \t\r\n".indexOf(json.charAt(end)) < 0) end++;
                String lit = json.substring(j, end);
                return lit.equals("null") ? null : lit;
            }
            i = json.indexOf(k, i + 1);
        }
        return null;
    }
}
