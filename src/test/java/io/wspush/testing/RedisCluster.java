package io.wspush.testing;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * A real Redis Cluster from Debian's {@code redis-server}: {@code masters} masters with one replica each, every node
 * a child process on free loopback ports (client and bus port) in its own directory under {@code target/}, joined
 * with {@code redis-cli --cluster create ... --cluster-replicas 1}. {@code cluster-node-timeout} is small so a
 * failover takes seconds. {@link #close()} (or a shutdown hook) kills every node by its process.
 */
public final class RedisCluster implements AutoCloseable {

    public static final Duration NODE_TIMEOUT = Duration.ofMillis(1000);
    private static final Duration READY_DEADLINE = Duration.ofSeconds(30);

    private final Map<Integer, Process> nodes = new LinkedHashMap<>();
    private final Thread hook = new Thread(this::killAll, "redis-cluster-killer");

    private RedisCluster() {
    }

    /**
     * Starts and joins the cluster and waits until every node reports {@code cluster_state:ok} and sees
     * {@code masters} masters owning all slots.
     *
     * @param extraArgs more redis-server arguments for every node (e.g. an ACL user)
     */
    public static RedisCluster start(int masters, String... extraArgs) {
        RedisCluster c = new RedisCluster();
        Runtime.getRuntime().addShutdownHook(c.hook);
        try {
            for (int i = 0; i < 2 * masters; i++) c.launch(extraArgs);
            List<String> create = new ArrayList<>(List.of(binary("redis-cli"), "--cluster", "create"));
            for (int port : c.nodes.keySet()) create.add("127.0.0.1:" + port);
            create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
            Path log = Path.of("target", "redis-cluster-create.log");
            Process p = new ProcessBuilder(create).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("redis-cli --cluster create failed; see " + log.toAbsolutePath());
            }
            Poll.until("every node reports cluster_state:ok with " + masters + " masters", READY_DEADLINE,
                    () -> c.nodes.keySet().stream().allMatch(port -> c.ok(port, masters)));
            return c;
        } catch (IOException e) {
            c.close();
            throw new IllegalStateException("cannot start the Redis Cluster", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            c.close();
            throw new IllegalStateException(e);
        } catch (RuntimeException | Error e) {
            c.close();
            throw e;
        }
    }

    private boolean ok(int port, int masters) {
        try {
            String info = (String) Resp.command(port, "CLUSTER", "INFO");
            return info.contains("cluster_state:ok") && masters(port).size() == masters;
        } catch (IllegalStateException notYet) {
            return false;
        }
    }

    private static String binary(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) return p.toString();
        }
        if (Files.isExecutable(Path.of("/usr/bin", name))) return "/usr/bin/" + name;
        throw new IllegalStateException(name + " is not installed: 'apt-get install redis-server' (or ./test.sh)");
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void launch(String... extraArgs) throws IOException {
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 3; attempt++) { // a free port may be taken before redis binds it
            int port = freePort();
            int bus = freePort();
            Path dir = Files.createDirectories(Path.of("target", "redis-cluster", Integer.toString(port)));
            Files.deleteIfExists(dir.resolve("nodes.conf"));
            List<String> cmd = new ArrayList<>(List.of(binary("redis-server"), "--port", Integer.toString(port),
                    "--cluster-port", Integer.toString(bus), "--bind", "127.0.0.1", "--dir", dir.toAbsolutePath().toString(),
                    "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                    "--cluster-node-timeout", Long.toString(NODE_TIMEOUT.toMillis()),
                    "--save", "", "--appendonly", "no", "--daemonize", "no"));
            cmd.addAll(List.of(extraArgs));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile())).start();
            nodes.put(port, p);
            try {
                Poll.until("redis-server on " + port + " answers PING", Duration.ofSeconds(10), () -> {
                    if (!p.isAlive()) throw new IllegalStateException("redis-server on " + port + " exited");
                    try {
                        return "PONG".equals(Resp.command(port, "PING"));
                    } catch (IllegalStateException notYet) {
                        return false;
                    }
                });
                return;
            } catch (IllegalStateException | AssertionError e) {
                p.destroyForcibly();
                nodes.remove(port);
                last = new IllegalStateException("redis-server on " + port + " did not start; see " + dir, e);
            }
        }
        throw last;
    }

    /** Client ports of every node started (masters and replicas, also killed ones). */
    public List<Integer> ports() {
        return List.copyOf(nodes.keySet());
    }

    /** Two seed nodes, as wspush.redis.uri takes them. */
    public String seeds() {
        List<Integer> p = ports();
        return "redis://127.0.0.1:" + p.get(0) + ",redis://127.0.0.1:" + p.get(1);
    }

    public boolean isRunning(int port) {
        Process p = nodes.get(port);
        return p != null && p.isAlive();
    }

    private int anyLivePort() {
        return nodes.keySet().stream().filter(this::isRunning).findFirst()
                .orElseThrow(() -> new IllegalStateException("no cluster node runs"));
    }

    /** The master ports that own slots, as one live node sees it. */
    public List<Integer> masters() {
        return masters(anyLivePort());
    }

    private static List<Integer> masters(int port) {
        TreeSet<Integer> masters = new TreeSet<>();
        for (Object range : (List<?>) Resp.command(port, "CLUSTER", "SLOTS")) {
            masters.add(((Long) ((List<?>) ((List<?>) range).get(2)).get(1)).intValue());
        }
        return List.copyOf(masters);
    }

    /** The client port of the master serving {@code slot}, as one live node sees it. */
    public int masterOf(int slot) {
        for (Object range : (List<?>) Resp.command(anyLivePort(), "CLUSTER", "SLOTS")) {
            List<?> r = (List<?>) range;
            if (((Long) r.get(0)) <= slot && slot <= ((Long) r.get(1))) {
                return ((Long) ((List<?>) r.get(2)).get(1)).intValue();
            }
        }
        throw new IllegalStateException("no master serves slot " + slot);
    }

    public int slot(String key) {
        return ((Long) Resp.command(anyLivePort(), "CLUSTER", "KEYSLOT", key)).intValue();
    }

    public Object command(int port, String... args) {
        return Resp.command(port, args);
    }

    /**
     * Moves one slot (and its keys) to another master the way {@code redis-cli --cluster reshard} does: IMPORTING
     * on the target, MIGRATING on the source, MIGRATE the keys, then SETSLOT NODE on every master. Returns once
     * every live node sees the new owner.
     */
    public void moveSlot(int slot, int toPort) {
        int fromPort = masterOf(slot);
        if (fromPort == toPort) return;
        String fromId = (String) Resp.command(fromPort, "CLUSTER", "MYID");
        String toId = (String) Resp.command(toPort, "CLUSTER", "MYID");
        Resp.command(toPort, "CLUSTER", "SETSLOT", Integer.toString(slot), "IMPORTING", fromId);
        Resp.command(fromPort, "CLUSTER", "SETSLOT", Integer.toString(slot), "MIGRATING", toId);
        while (true) {
            List<?> keys = (List<?>) Resp.command(fromPort, "CLUSTER", "GETKEYSINSLOT", Integer.toString(slot), "100");
            if (keys.isEmpty()) break;
            List<String> migrate = new ArrayList<>(List.of("MIGRATE", "127.0.0.1", Integer.toString(toPort), "", "0",
                    "5000", "KEYS"));
            for (Object k : keys) migrate.add((String) k);
            Resp.command(fromPort, migrate.toArray(new String[0]));
        }
        Resp.command(toPort, "CLUSTER", "SETSLOT", Integer.toString(slot), "NODE", toId);
        Resp.command(fromPort, "CLUSTER", "SETSLOT", Integer.toString(slot), "NODE", toId);
        for (int master : masters()) {
            if (master != fromPort && master != toPort) {
                Resp.command(master, "CLUSTER", "SETSLOT", Integer.toString(slot), "NODE", toId);
            }
        }
        Poll.until("every node sees slot " + slot + " on " + toPort, READY_DEADLINE,
                () -> nodes.keySet().stream().filter(this::isRunning).allMatch(port -> ownerSeenBy(port, slot) == toPort));
    }

    private static int ownerSeenBy(int port, int slot) {
        try {
            for (Object range : (List<?>) Resp.command(port, "CLUSTER", "SLOTS")) {
                List<?> r = (List<?>) range;
                if (((Long) r.get(0)) <= slot && slot <= ((Long) r.get(1))) {
                    return ((Long) ((List<?>) r.get(2)).get(1)).intValue();
                }
            }
        } catch (IllegalStateException notNow) {
            // asked again
        }
        return -1;
    }

    /** SIGKILL to the node's process; it is not restarted. */
    public void kill(int port) {
        Process p = nodes.get(port);
        p.destroyForcibly(); // SIGKILL on Linux
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether every live node reports cluster_state:ok. */
    public boolean isOk() {
        return nodes.keySet().stream().filter(this::isRunning).allMatch(port -> {
            try {
                return ((String) Resp.command(port, "CLUSTER", "INFO")).contains("cluster_state:ok");
            } catch (IllegalStateException e) {
                return false;
            }
        });
    }

    private void killAll() {
        for (Process p : nodes.values()) {
            if (p.isAlive()) p.destroyForcibly();
        }
        for (Process p : nodes.values()) {
            try {
                p.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        killAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException | IllegalArgumentException shuttingDownOrNeverAdded) {
            // fine
        }
    }
}
