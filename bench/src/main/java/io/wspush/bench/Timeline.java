package io.wspush.bench;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.concurrent.locks.LockSupport;

/**
 * Time to steady state ({@code LoadTool --timeline S}): the measured push phase runs at full load for S seconds
 * instead of a count, and a sampler records, per interval (1 s), the messages delivered to the tool, the server's CPU
 * time (/proc) and what the rest of the machine used. From those it computes:
 *
 * <ul>
 *   <li>the <b>final steady rate</b> R: the median of the per-interval delivery rates over the last quarter of the
 *       run (at least 5 intervals);</li>
 *   <li>the <b>rolling rate</b> at time t: messages delivered in the window of W intervals (5 s) ending at t, per
 *       second;</li>
 *   <li>the <b>time to steady state</b> {@code tts_rate_s}: the earliest t (from the first push) such that the
 *       rolling rate at t and at every later interval end stays within 10% of R; -1 if that does not hold over
 *       the whole final quarter (no steady state within the run);</li>
 *   <li>the same for the server's CPU per delivered message ({@code tts_cpu_s}, against the median of the last
 *       quarter): it does not drop when another process takes turns on the server's core, so it is the one to trust
 *       on a shared machine.</li>
 * </ul>
 *
 * With {@code server_cpu_to_steady_s}, the server CPU time spent from the first push until {@code tts_cpu_s}: on a
 * shared machine the server gets less than its core, which stretches the wall-clock figures but not this one.
 * Both are also given from the server JVM's start ({@code ..._since_jvm_start_s}, adding the JVM's age when the
 * load began, from /proc), because a container's start-up counts against "steady within 30 s of start".
 */
final class Timeline {

    static final double BAND = 0.10;
    static final int WINDOW = 5;

    private final double seconds;
    private final double interval;
    private final double serverReadySeconds;
    private volatile long stopAt;
    private volatile boolean running;
    private Thread sampler;
    private LongSupplier delivered;
    private ProcStats server;
    private ProcStats self;
    private long t0;
    private double serverAgeAtLoad = -1;
    private final List<long[]> samples = new ArrayList<>(); // {nanos, delivered, serverTicks, machineBusy, machineAll, toolTicks}

    private Timeline(double seconds, double interval, double serverReadySeconds) {
        this.seconds = seconds;
        this.interval = interval;
        this.serverReadySeconds = serverReadySeconds;
    }

    /** Null when {@code seconds} is 0 (no timeline). */
    static Timeline of(double seconds, double interval, double serverReadySeconds) {
        return seconds > 0 ? new Timeline(seconds, interval, serverReadySeconds) : null;
    }

    double seconds() {
        return seconds;
    }

    /** True once the timed push phase is over: the push workers stop taking new pushes. */
    boolean over() {
        return running && System.nanoTime() - stopAt >= 0;
    }

    /** At the first measured push. */
    void start(LongSupplier deliveredCount, ProcStats serverStats, long serverPid, ProcStats tool) {
        this.delivered = deliveredCount;
        this.server = serverStats;
        this.self = tool;
        t0 = System.nanoTime();
        stopAt = t0 + (long) (seconds * 1e9);
        if (server != null) serverAgeAtLoad = jvmAgeSeconds(serverPid, server.clockTicks);
        sample();
        running = true;
        sampler = new Thread(() -> {
            for (long k = 1; running; k++) {
                long due = t0 + (long) (k * interval * 1e9);
                long wait;
                while (running && (wait = due - System.nanoTime()) > 0) LockSupport.parkNanos(wait);
                if (!running || System.nanoTime() - stopAt > (long) (interval * 1e9) / 2) return;
                sample();
            }
        }, "timeline");
        sampler.setDaemon(true);
        sampler.start();
    }

    /** When the push phase has returned; the drain after it is not part of the timeline. */
    void stop() throws InterruptedException {
        running = false;
        if (sampler != null) {
            LockSupport.unpark(sampler);
            sampler.join(5000);
        }
    }

    private void sample() {
        long[] m = ProcStats.machineTicks();
        long[] s = {System.nanoTime(), delivered.getAsLong(), server == null ? -1 : server.cpuTicks(),
                m == null ? -1 : m[0], m == null ? -1 : m[1], self.cpuTicks()};
        synchronized (samples) {
            samples.add(s);
        }
    }

    /** Prints the table and the computed figures, and adds them to the run's JSON report. */
    void report(PrintStream log, Map<String, Object> report) {
        long[][] s;
        synchronized (samples) {
            s = samples.toArray(new long[0][]);
        }
        int n = s.length - 1;
        if (n < WINDOW + 1) {
            log.println("timeline: too few intervals (" + n + ")");
            report.put("tts_rate_s", -1);
            return;
        }
        int cpus = ProcStats.cpus();
        double[] end = new double[n];
        double[] rate = new double[n];
        double[] usPerMsg = new double[n];
        double[] serverPct = new double[n];
        double[] othersPct = new double[n];
        for (int i = 0; i < n; i++) {
            double dt = (s[i + 1][0] - s[i][0]) / 1e9;
            long msgs = s[i + 1][1] - s[i][1];
            long ticks = s[i + 1][2] - s[i][2];
            end[i] = (s[i + 1][0] - t0) / 1e9;
            rate[i] = msgs / dt;
            double cpuMs = server == null ? -1 : server.ticksToMs(ticks);
            usPerMsg[i] = server == null || msgs == 0 ? Double.NaN : cpuMs * 1000 / msgs;
            serverPct[i] = server == null ? -1 : cpuMs / 10 / dt;
            long busy = s[i + 1][3] - s[i][3];
            long all = s[i + 1][4] - s[i][4];
            long toolTicks = s[i + 1][5] - s[i][5];
            othersPct[i] = all <= 0 || server == null ? -1 : 100.0 * (busy - ticks - toolTicks) / (all / (double) cpus);
        }
        int tail = Math.max(WINDOW, n / 4);
        double finalRate = median(Arrays.copyOfRange(rate, n - tail, n));
        double finalCpu = median(Arrays.copyOfRange(usPerMsg, n - tail, n));
        double[] rollRate = new double[n];
        double[] rollCpu = new double[n];
        for (int i = 0; i < n; i++) {
            int from = Math.max(0, i - WINDOW + 1);
            long msgs = s[i + 1][1] - s[from][1];
            rollRate[i] = msgs / ((s[i + 1][0] - s[from][0]) / 1e9);
            rollCpu[i] = server == null || msgs == 0 ? Double.NaN
                    : server.ticksToMs(s[i + 1][2] - s[from][2]) * 1000 / msgs;
        }
        double ttsRate = settledAt(rollRate, end, finalRate, n - tail);
        double ttsCpu = server == null ? -1 : settledAt(rollCpu, end, finalCpu, n - tail);
        double first90 = -1;
        for (int i = WINDOW - 1; i < n; i++) {
            if (rollRate[i] >= (1 - BAND) * finalRate) {
                first90 = end[i];
                break;
            }
        }
        long before = -1;
        if (ttsRate >= 0) {
            for (int i = 0; i < n; i++) if (end[i] <= ttsRate + 1e-9) before = s[i + 1][1] - s[0][1];
        }
        // The server's own CPU time until its CPU/msg settled: what the warm-up costs on a core of its own, which a
        // shared machine (other processes taking turns on the server's core) does not stretch as it stretches time.
        double cpuToSteady = -1;
        if (ttsCpu >= 0) {
            for (int i = 0; i < n; i++) if (end[i] <= ttsCpu + 1e-9) cpuToSteady = server.ticksToMs(s[i + 1][2] - s[0][2]) / 1000;
        }

        log.printf(Locale.ROOT, "timeline (%.0f s intervals; rolling = last %d intervals):%n", interval, WINDOW);
        log.println("      t_s  msgs/s  rolling/s  server_us/msg  server_cpu%  others_cpu%");
        for (int i = 0; i < n; i++) {
            log.printf(Locale.ROOT, "   %6.1f  %6.0f  %9.0f  %13.1f  %11.0f  %11.0f%n",
                    end[i], rate[i], rollRate[i], usPerMsg[i], serverPct[i], othersPct[i]);
        }
        double age = serverAgeAtLoad;
        log.printf(Locale.ROOT, "steady state: final rate %.0f msgs/s (median of the last %d intervals), %.1f us/msg; "
                        + "time to steady state (rolling within %.0f%% from then on): rate %s, CPU/msg %s after the first push"
                        + "; first within %.0f%% of the final rate at %s; %d messages delivered before steady%n",
                finalRate, tail, finalCpu, BAND * 100, secs(ttsRate), secs(ttsCpu), BAND * 100, secs(first90), before);
        log.printf(Locale.ROOT, "server CPU time from the first push until its CPU/msg settled: %s%n", secs(cpuToSteady));
        log.printf(Locale.ROOT, "server JVM: %s old at the first push (ready after %s), so steady %s (rate) / %s (CPU/msg) after the JVM started%n",
                secs(age), secs(serverReadySeconds), secs(plus(age, ttsRate)), secs(plus(age, ttsCpu)));

        report.put("timeline_s", seconds);
        report.put("timeline_interval_s", interval);
        report.put("steady_rate", round(finalRate, 1));
        report.put("steady_us_per_msg", round(finalCpu, 2));
        report.put("tts_rate_s", round(ttsRate, 1));
        report.put("tts_cpu_s", round(ttsCpu, 1));
        report.put("first_within_band_s", round(first90, 1));
        report.put("msgs_before_steady", before);
        report.put("server_cpu_to_steady_s", round(cpuToSteady, 1));
        report.put("server_ready_s", round(serverReadySeconds, 2));
        report.put("server_age_at_load_s", round(age, 2));
        report.put("tts_rate_since_jvm_start_s", round(plus(age, ttsRate), 1));
        report.put("tts_cpu_since_jvm_start_s", round(plus(age, ttsCpu), 1));
        report.put("timeline_rates", join(rate, 0));
        report.put("timeline_us_per_msg", join(usPerMsg, 1));
        report.put("timeline_others_cpu_pct", join(othersPct, 0));
    }

    /**
     * The end of the first interval from which every rolling value stays within the band around target; -1 if even
     * the final quarter (from {@code tailStart} on) leaves the band: the run then shows no steady state at all.
     */
    static double settledAt(double[] rolling, double[] end, double target, int tailStart) {
        if (!(target > 0)) return -1;
        int from = -1;
        for (int i = rolling.length - 1; i >= WINDOW - 1; i--) {
            if (Double.isNaN(rolling[i]) || Math.abs(rolling[i] - target) > BAND * target) break;
            from = i;
        }
        return from < 0 || from > tailStart ? -1 : end[from];
    }

    static double median(double[] v) {
        double[] c = Arrays.stream(v).filter(x -> !Double.isNaN(x)).sorted().toArray();
        if (c.length == 0) return Double.NaN;
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    /** Seconds since the process started: /proc/PID/stat field 22 (start time in ticks after boot), /proc/uptime. */
    static double jvmAgeSeconds(long pid, long clockTicks) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            double started = Long.parseLong(f[19]) / (double) clockTicks;
            double uptime = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).trim().split("\\s+")[0]);
            return uptime - started;
        } catch (Exception e) {
            return -1;
        }
    }

    private static double plus(double a, double b) {
        return a < 0 || b < 0 ? -1 : a + b;
    }

    private static String secs(double v) {
        return v < 0 ? "not reached/unknown" : String.format(Locale.ROOT, "%.1f s", v);
    }

    private static double round(double v, int digits) {
        if (Double.isNaN(v) || Double.isInfinite(v)) return -1;
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    private static String join(double[] v, int digits) {
        StringBuilder sb = new StringBuilder();
        for (double x : v) {
            if (sb.length() > 0) sb.append(' ');
            sb.append(Double.isNaN(x) ? "-" : String.format(Locale.ROOT, "%." + digits + "f", x));
        }
        return sb.toString();
    }
}
