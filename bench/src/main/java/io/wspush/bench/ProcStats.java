package io.wspush.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads another process's resident memory and CPU time from /proc, and (optionally) its live heap via jcmd. */
final class ProcStats {

    /** "garbage-first heap total 262144K, used 12345K", or one line per generation (Serial, Parallel GC). */
    private static final Pattern HEAP_USED = Pattern.compile("total\\s+\\d+K,\\s+used\\s+(\\d+)K");

    private final long pid;
    final long clockTicks;

    ProcStats(long pid) {
        this.pid = pid;
        this.clockTicks = clockTicks();
    }

    boolean alive() {
        return Files.exists(Path.of("/proc/" + pid + "/status"));
    }

    /** VmRSS in KiB, -1 when unreadable. */
    long rssKb() {
        return statusField("VmRSS:");
    }

    long hwmKb() {
        return statusField("VmHWM:");
    }

    long threads() {
        return statusField("Threads:");
    }

    private long statusField(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return -1;
    }

    /** utime + stime in clock ticks, -1 when unreadable. */
    long cpuTicks() {
        long[] us = userSystemTicks();
        return us == null ? -1 : us[0] + us[1];
    }

    /** {utime, stime} in clock ticks (user and kernel mode), or null when unreadable. */
    long[] userSystemTicks() {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // The command name (field 2) may contain spaces: fields are counted after its closing parenthesis.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};   // fields 14 and 15 of proc(5)
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    double ticksToMs(long ticks) {
        return ticks * 1000.0 / clockTicks;
    }

    /** Number of open file descriptors of the process, -1 when unreadable. */
    long openFds() {
        String[] l = Path.of("/proc/" + pid + "/fd").toFile().list();
        return l == null ? -1 : l.length;
    }

    /** Runs a full GC in the target JVM and returns its used heap in KiB afterwards, -1 on failure. */
    long heapAfterGcKb() {
        if (run("jcmd", Long.toString(pid), "GC.run") == null) return -1;
        String out = run("jcmd", Long.toString(pid), "GC.heap_info");
        if (out == null) return -1;
        Matcher m = HEAP_USED.matcher(out);
        long used = -1;
        while (m.find()) used = Math.max(0, used) + Long.parseLong(m.group(1));   // Metaspace lines have no "total"
        return used;
    }

    /**
     * Ticks of all CPUs since boot from /proc/stat: {busy, total} (busy = all but idle and iowait), or null. Divide
     * total by {@link #cpus()} for elapsed ticks.
     */
    static long[] machineTicks() {
        try {
            String line = Files.readAllLines(Path.of("/proc/stat")).get(0);   // "cpu  user nice system idle iowait ..."
            String[] f = line.trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) total += Long.parseLong(f[i]);   // up to steal
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new long[] {total - idle, total};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static int cpus() {
        try {
            return (int) Files.readAllLines(Path.of("/proc/stat")).stream().filter(l -> l.matches("cpu\\d+ .*")).count();
        } catch (IOException | RuntimeException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    /** The 1-minute load average of the machine, -1 when unreadable. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * The guest's idle polling (cpuidle driver haltpoll), in ns: how long an idle vCPU polls before it halts. 0 (this
     * VM's default) halts at once, and waking a halted vCPU costs the waker an interrupt to the hypervisor: over
     * loopback the server pays that in its {@code writev} for an idle load tool (BENCHMARKS.md). -1 without haltpoll.
     */
    static long guestHaltPollNs() {
        try {
            return Long.parseLong(Files.readString(Path.of("/sys/module/haltpoll/parameters/guest_halt_poll_ns")).trim());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static long clockTicks() {
        String out = run("getconf", "CLK_TCK");
        try {
            return out == null ? 100 : Long.parseLong(out.trim());
        } catch (NumberFormatException e) {
            return 100;
        }
    }

    /** Max open files of this process (soft limit), -1 when unknown. */
    static long ownFdLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.substring("Max open files".length()).trim().split("\\s+");
                    return f[0].equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(f[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return -1;
    }

    /** Runs a short command with a 30 s bound; stdout or null on failure. */
    static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? new String(out) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
