#!/usr/bin/env bash
# Runs one wspush benchmark scenario: the built WAR in a lean embedded Jetty 12 (io.wspush.containers.JettyMain, the
# integration tests' launcher) pinned to one core, the load tool (io.wspush.bench.LoadTool, built by bench/pom.xml)
# pinned to another, both on 127.0.0.1 only. Appends one JSON line per run to $OUT.
#
#   bench/run.sh SCENARIO [extra LoadTool options...]      e.g.  bench/run.sh unicast --concurrency 32
#
# Scenarios (counts are multiplied by SCALE, e.g. SCALE=0.1 for a quick check):
#   smoke      100 users x 2 connections, 2,000 pushes, 16 at once
#   unicast    1,000 users x 2 connections, 20,000 unicast pushes, 16 at once (after 2,000 warm-up pushes)
#   fanout     the unicast load (1,000 users x 2 connections, 20,000 pushes = 20 per user) sent as JSON arrays of
#              100 single pushes (--batch 100), 4 requests at once: wspush's batch body against single pushes
#   multicast  the fanout load sent as multicasts of 100 users ({"userIds":[...],"message":...}, --batch 100
#              --batch-body multicast), 4 requests at once: one message encoded once for 200 connections; the peers
#              get the same single pushes as in fanout (the issue's "wspush by batches of 100 users")
#   users10k   10,000 users x 1 connection, 20,000 pushes, 16 at once (after 2,000 warm-up pushes)
#   idle       10,000 users x 1 connection, no pushes: server RSS and live heap (jcmd GC) per idle connection
#   broadcast  1 user x 5,000 connections, 20 pushes: each push fans out to all 5,000 connections
#   hold15k    15,000 users x 1 connection held 5 s, then 30,000 pushes at 1,500/s (20 s) while they stay open:
#              every connection must receive its 2 messages
#   sweep      1,000 users x 2 connections at rising push rates (RATES), then bench/plot.sh draws latency vs rate
#   warmup     time to steady state: a cold server, 1,000 users x 2 connections, then full load (16 pushes in flight)
#              for TIMELINE seconds [150] at once (LoadTool --timeline): delivered msgs/s and server CPU per message
#              per second, and when they entered and stayed within 10% of the run's final rate (bench/aot.sh
#              compares JVMs and AOT caches with it)
#
# Extra options go to every LoadTool run and win over the scenario's, e.g. --protocol plain, --rate 500,
# --warmup 20000 (a JVM pinned to one core needs far more than the default warm-up to reach steady state).
#
# Environment (defaults in brackets):
#   PORT [18080]  OUT [target/bench/results.jsonl]  PNG [target/bench/latency-vs-rate.png] (sweep)
#   LABEL [git short rev]  SCALE [1]  MAX_SECONDS [115 per tool run; warmup: TIMELINE + 60]
#   SERVER_CPU [1]  TOOL_CPU [0]  SERVER_JAVA_OPTS [-Xmx2g]  TOOL_JAVA_OPTS [-Xmx3g]
#   SERVER_JAVA [java] the server's JVM, e.g. /usr/lib/jvm/temurin-25-jdk-amd64/bin/java (the tool keeps the default)
#   SERVER_SETTINGS  extra -Dwspush.* options for the server, and Jetty's knobs -Dbench.threads, -Dbench.minThreads,
#          -Dbench.reservedThreads, -Dbench.acceptors, -Dbench.selectors, -Dbench.outputBufferSize (see JettyMain)
#   RUNNER [war] war = io.wspush.containers.JettyMain WAR PORT (bench and jettymain: older names for the same);
#          fake = io.wspush.bench.FakeServer, the container's floor: one servlet and one programmatic endpoint on the
#          same Jetty, no JAX-RS, CDI, limits or queues (the cost of the platform before wspush's own work);
#          wserver = the Go server wspush replaces, an already built binary WSERVER_BIN started by bench/peers/wserver.sh
#          (plain protocol only; its build is not in this repository, see BENCHMARKS.md); nchan = Nchan under
#          nginx-light (bench/peers/nchan.sh, nchan.conf; measured: its worker process). For the peers the tool gets
#          --target wserver|nchan --protocol plain, and fanout sends single pushes (16 at once) instead of arrays.
#          bench/peers.sh runs a scenario against wspush and both peers, alternated, and prints them side by side
#          tomcat = io.wspush.containers.TomcatMain (embedded Tomcat 10.1, NIO) with the connector properties in
#          TOMCAT_CONNECTOR [maxConnections=20000 acceptCount=4096], e.g. 'maxKeepAliveRequests=-1 maxThreads=50'
#          (-Dbench.tomcatProtocol=org.apache.coyote.http11.Http11Nio2Protocol in SERVER_SETTINGS for NIO2);
#          payara = Payara Micro 6 (PAYARA_JAR [target/containers/payara-micro.jar]) with the thin WAR
#          (BUILD_DIR/wspush-ee.war), the test's preboot commands (127.0.0.1, Payara's own /metrics... moved away)
#          plus PAYARA_PREBOOT (asadmin lines separated by ';', e.g. a thread pool size)
#   RUN_DIR [a new /tmp/wspush-bench.XXXXXX] the folder of the run's private copies (bench/aot.sh fixes it: an AOT
#          cache needs the training run's class path), emptied at start and removed at the end
#   STOP_WAIT [10] seconds the server gets to stop after SIGTERM before SIGKILL (an AOT training run writes its
#          cache when it exits: bench/aot.sh sets more)
#   RATES [250 500 1000 2000 0] (sweep; 0 = unthrottled)
#   HALT_POLL_NS [unset: leave the machine as it is] the guest's idle polling for this run, in ns
#          (/sys/module/haltpoll/parameters/guest_halt_poll_ns, root only; put back at the end), e.g. 200000: an idle
#          vCPU then polls up to 200 us before it halts. This VM's default 0 halts at once, and waking a halted vCPU
#          costs the waker a trip to the hypervisor: over loopback the server pays it inside its writev whenever the
#          load tool's core is idle, which a server that keeps the tool busy (the peers) does not (BENCHMARKS.md,
#          sixth session). Every result records the value in force as guest_halt_poll_ns
#   PRE_WARMUP [0] pushes sent by one unmeasured tool run (its own connections, same scenario) before the measured
#          run, at PRE_WARMUP_RATE [2000] pushes/s, so that the measured run meets an already compiled server: a JVM
#          pinned to one core compiles on that core, and a paced warm-up leaves its JIT threads room that a saturating
#          one does not (e.g. PRE_WARMUP=240000: two minutes at 2,000/s). Sweep: before the first step.
#          SWEEP_WARMUP / SWEEP_WARMUP_RATE are older names for the same, still accepted.
#   PRE_WARMUP_MODE [probe] probe = PRE_WARMUP unmeasured probe pushes, one per request (--warmup); load = the
#          scenario's own pushes (--pushes PRE_WARMUP --rate PRE_WARMUP_RATE), so that fanout warms its array path
#   SYSCALLS [0] 1 = after the measured run, one more tool run of the same scenario (no warm-up) during whose push
#          phase `perf stat -e raw_syscalls:sys_enter` counts the server's system calls (all its threads; the nchan
#          worker): syscalls per push and per delivered message, appended to $OUT as "<scenario>-syscalls". A separate
#          window, since counting costs the server time; that run's pushes/s shows how much. SYSCALL_PUSHES [the
#          scenario's] sets that run's pushes
#   CLIENTS [--push-client raw --ws-client raw] the tool's HTTP and WebSocket clients: the minimal raw ones cost the
#          tool's core less per push (~3x) and per received frame (~1.7x) than java.net.http, so the server sets the
#          pace; CLIENTS= (empty) uses java.net.http for both
#   BUILD_DIR [target/bench/build] the folder of the WAR that is measured; BUILD=1 copies the fresh target/wspush.war
#          there, so that a later build in this checkout does not change what an A/B (bench/ab.sh) compares
#   BUILD [1] 1 = mvn package -DskipTests (the WAR, and the test classes that hold JettyMain) and
#          mvn -f bench/pom.xml package (the tool); 0 = use the WAR already in BUILD_DIR (BUILD_DIR=target BUILD=0:
#          the last ordinary build), and build the launcher or the tool only where missing or older than its source
set -euo pipefail
cd "$(dirname "$0")/.."

SCENARIO=${1:-}
if [ -z "$SCENARIO" ] || [ "$SCENARIO" = "-h" ] || [ "$SCENARIO" = "--help" ]; then
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  exit 2
fi
shift

PORT=${PORT:-18080}
OUT=${OUT:-target/bench/results.jsonl}
PNG=${PNG:-target/bench/latency-vs-rate.png}
SCALE=${SCALE:-1}
MAX_SECONDS=${MAX_SECONDS:-}
TIMELINE=${TIMELINE:-150}
STOP_WAIT=${STOP_WAIT:-10}
TOMCAT_CONNECTOR=${TOMCAT_CONNECTOR-maxConnections=20000 acceptCount=4096}
PAYARA_JAR=${PAYARA_JAR:-target/containers/payara-micro.jar}
PAYARA_PREBOOT=${PAYARA_PREBOOT:-}
SERVER_CPU=${SERVER_CPU:-1}
TOOL_CPU=${TOOL_CPU:-0}
SERVER_JAVA_OPTS=${SERVER_JAVA_OPTS:--Xmx2g}
SERVER_JAVA=${SERVER_JAVA:-java}
TOOL_JAVA_OPTS=${TOOL_JAVA_OPTS:--Xmx3g}
SERVER_SETTINGS=${SERVER_SETTINGS:-}
RUNNER=${RUNNER:-war}
RATES=${RATES:-250 500 1000 2000 0}
CLIENTS=${CLIENTS---push-client raw --ws-client raw}
BUILD=${BUILD:-1}
PRE_WARMUP=${PRE_WARMUP:-${SWEEP_WARMUP:-0}}
PRE_WARMUP_RATE=${PRE_WARMUP_RATE:-${SWEEP_WARMUP_RATE:-2000}}
PRE_WARMUP_MODE=${PRE_WARMUP_MODE:-probe}
SYSCALLS=${SYSCALLS:-0}
HALT_POLL_NS=${HALT_POLL_NS:-}
HALT_POLL_FILE=/sys/module/haltpoll/parameters/guest_halt_poll_ns
HALT_POLL_WAS=
SYSCALL_PUSHES=${SYSCALL_PUSHES:-}
# The total, and the calls that carry the traffic or wait for it (read/recv, write/send, epoll, futex).
SYSCALL_EVENTS=${SYSCALL_EVENTS:-raw_syscalls:sys_enter,syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendto,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_epoll_ctl,syscalls:sys_enter_futex}
BUILD_DIR=${BUILD_DIR:-target/bench/build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$PWD/$BUILD_DIR ;; esac
LABEL=${LABEL:-$(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet HEAD -- src 2>/dev/null || echo +dirty)}

scale() { awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s + 0.5); print (v < 1 ? 1 : v) }'; }

# ---------------------------------------------------------------- scenario -> LoadTool options
PER_USER_LIMIT=100
# shellcheck disable=SC2206  # CLIENTS is a word list
CLIENT_ARGS=($CLIENTS)
PEER=
case "$RUNNER" in wserver|nchan) PEER=$RUNNER ;; esac
case "$SCENARIO" in
  smoke)     ARGS=(--users "$(scale 100)" --conns 2 --pushes "$(scale 2000)" --concurrency 16) ;;
  unicast)   ARGS=(--users "$(scale 1000)" --conns 2 --pushes "$(scale 20000)" --concurrency 16 --warmup "$(scale 2000)") ;;
  fanout|multicast)
             if [ -n "$PEER" ]; then   # the peers take no arrays: the same pushes one per request
               ARGS=(--users "$(scale 1000)" --conns 2 --pushes "$(scale 20000)" --concurrency 16 --warmup "$(scale 2000)")
             else
               ARGS=(--users "$(scale 1000)" --conns 2 --pushes "$(scale 20000)" --concurrency 4 --batch 100
                     --warmup "$(scale 2000)")
               if [ "$SCENARIO" = multicast ]; then ARGS+=(--batch-body multicast); fi
             fi ;;
  users10k)  ARGS=(--users "$(scale 10000)" --conns 1 --pushes "$(scale 20000)" --concurrency 16 --warmup "$(scale 2000)") ;;
  idle)      ARGS=(--users "$(scale 10000)" --conns 1 --pushes 0 --heap --settle 5) ;;
  broadcast) C=$(scale 5000); PER_USER_LIMIT=$((2 * C + 100))  # room for a pre-warm-up run's closing connections
             ARGS=(--users 1 --conns "$C" --pushes 20 --concurrency 16) ;;
  hold15k)   ARGS=(--users "$(scale 15000)" --conns 1 --pushes "$(scale 30000)" --rate "$(scale 1500)" --hold 5
                   --concurrency 16) ;;
  sweep)     ARGS=(--users "$(scale 1000)" --conns 2 --concurrency 16) ;;
  warmup)    ARGS=(--users "$(scale 1000)" --conns 2 --concurrency 16 --settle 0 --timeline "$TIMELINE")
             MAX_SECONDS=${MAX_SECONDS:-$(awk -v t="$TIMELINE" 'BEGIN { print int(t) + 60 }')} ;;
  *) echo "unknown scenario '$SCENARIO' (bench/run.sh --help)" >&2; exit 2 ;;
esac
MAX_SECONDS=${MAX_SECONDS:-115}

# ---------------------------------------------------------------- file descriptors (hard limit here: 20000)
HARD=$(ulimit -Hn)
if [ "$HARD" = unlimited ] || [ "$HARD" -ge 20000 ]; then ulimit -n 20000; else ulimit -n "$HARD"; fi
echo "open-file limit $(ulimit -n) (tool and server inherit it)"

mkdir -p target/bench "$(dirname "$OUT")"

# ---------------------------------------------------------------- build
# The WAR and its launcher come from the root project: `mvn package -DskipTests` builds target/wspush.war, the test
# classes with io.wspush.containers.JettyMain (so the tests must compile; they do not run) and
# target/containers/jetty.classpath, the Jetty jars that JettyMain runs on in the integration tests too. The load tool
# and FakeServer come from the bench project (bench/pom.xml -> bench/target/wspush-bench.jar).
LAUNCHER_DIR=target/test-classes/io/wspush/containers
JETTY_CP_FILE=target/containers/jetty.classpath
TOOL_JAR=bench/target/wspush-bench.jar
if [ "$BUILD" = 1 ]; then
  echo "building target/wspush.war (mvn -q package -DskipTests) -> $BUILD_DIR, and $TOOL_JAR"
  mvn -q package -DskipTests
  mkdir -p "$BUILD_DIR"
  [ target/wspush.war -ef "$BUILD_DIR/wspush.war" ] || cp target/wspush.war "$BUILD_DIR/wspush.war"
  [ target/wspush-ee.war -ef "$BUILD_DIR/wspush-ee.war" ] || cp target/wspush-ee.war "$BUILD_DIR/wspush-ee.war"
  mvn -q -f bench/pom.xml package
else
  # (Not "older than pom.xml": build-classpath leaves an unchanged jetty.classpath untouched.)
  if [ ! -f "$JETTY_CP_FILE" ] || [ src/test/java/io/wspush/containers/JettyMain.java -nt "$LAUNCHER_DIR/JettyMain.class" ]; then
    echo "building the launcher (mvn -q test-compile)"
    mvn -q test-compile
  fi
  if [ ! -f "$TOOL_JAR" ] || [ -n "$(find bench/pom.xml bench/src -newer "$TOOL_JAR" -print -quit)" ]; then
    echo "building $TOOL_JAR (mvn -q -f bench/pom.xml package)"
    mvn -q -f bench/pom.xml package
  fi
fi
[ -f "$BUILD_DIR/wspush.war" ] || { echo "missing $BUILD_DIR/wspush.war (run with BUILD=1)" >&2; exit 1; }

# Private copies, so that a 'mvn clean' in the same tree during the run does not pull the floor away.
if [ -n "${RUN_DIR:-}" ]; then
  # A fixed folder (bench/aot.sh): a JDK AOT cache only serves a JVM whose class path is the training run's.
  case "$RUN_DIR" in /tmp/wspush-*) ;; *) echo "RUN_DIR must be under /tmp/wspush-*" >&2; exit 2 ;; esac
  RUN=$RUN_DIR
  rm -rf "$RUN" && mkdir -p "$RUN"
else
  RUN=$(mktemp -d /tmp/wspush-bench.XXXXXX)
fi
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    [ -z "${READY_S:-}" ] || jit_threads "at the end" || true
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq $((STOP_WAIT * 5))); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$RUN"
  if [ -n "$HALT_POLL_WAS" ]; then echo "$HALT_POLL_WAS" > "$HALT_POLL_FILE" || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ -n "$HALT_POLL_NS" ]; then
  [ -w "$HALT_POLL_FILE" ] || { echo "HALT_POLL_NS: $HALT_POLL_FILE is missing or not writable (haltpoll, root)" >&2; exit 2; }
  HALT_POLL_WAS=$(cat "$HALT_POLL_FILE")
  echo "$HALT_POLL_NS" > "$HALT_POLL_FILE"
  echo "guest idle polling: $(cat "$HALT_POLL_FILE") ns for this run (was $HALT_POLL_WAS)"
fi
cp -p "$BUILD_DIR/wspush.war" "$RUN/wspush.war"  # -p: an AOT cache checks the times of its class path
mkdir -p "$RUN/launcher/io/wspush"
cp -rp "$LAUNCHER_DIR" "$RUN/launcher/io/wspush/"
cp "$TOOL_JAR" "$RUN/wspush-bench.jar"
# The launcher as a jar with fixed entry dates and the classes' own file time: a JDK AOT cache refuses a non-empty
# directory on the class path and checks each jar's size and time (bench/aot.sh).
jar --create --file "$RUN/launcher.jar" --date=2026-01-01T00:00:00Z -C "$RUN/launcher" .
touch -r "$LAUNCHER_DIR/JettyMain.class" "$RUN/launcher.jar"
# The server's class path: Jetty and the container APIs only. The WAR brings Jersey, Weld, CDI... itself, and Jetty
# loads jakarta.* parent-first, so a second copy of those on the class path would break the WAR's CDI.
SERVER_CP=$(cat "$JETTY_CP_FILE")

# ---------------------------------------------------------------- server
SECRET=$(head -c 32 /dev/urandom | base64 | tr -d '/+=' | head -c 40)
PUSH_KEY=$(head -c 24 /dev/urandom | base64 | tr -d '/+=' | head -c 32)
if curl -s -o /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null; then
  echo "port $PORT is already in use: set PORT" >&2
  exit 1
fi
case "$RUNNER" in
  war|bench|jettymain) MAIN=(io.wspush.containers.JettyMain "$RUN/wspush.war" "$PORT"); MAIN_CP=$RUN/launcher.jar ;;
  fake)      MAIN=(io.wspush.bench.FakeServer "$PORT" "$SECRET" "$PUSH_KEY" 900); MAIN_CP=$RUN/wspush-bench.jar ;;
  wserver|nchan|tomcat|payara) ;;  # below
  *) echo "RUNNER must be war, fake, tomcat, payara, wserver or nchan" >&2; exit 2 ;;
esac
# ---- other containers (issue 16): the same WAR and tool on Tomcat 10.1 or Payara Micro 6
EXTRA_OPTS=()
if [ "$RUNNER" = tomcat ]; then
  # As TomcatContainer (the tests) starts it: catalina.sh's --add-opens, Tomcat's JUL manager.
  # shellcheck disable=SC2206  # word lists
  MAIN=(io.wspush.containers.TomcatMain "$RUN/wspush.war" "$PORT" "$RUN/tomcat-work" $TOMCAT_CONNECTOR)
  MAIN_CP=$RUN/launcher.jar
  SERVER_CP=$(cat target/containers/tomcat.classpath)
  EXTRA_OPTS=(--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
    --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
    --add-opens=java.rmi/sun.rmi.transport=ALL-UNNAMED -Djava.util.logging.manager=org.apache.juli.ClassLoaderLogManager)
elif [ "$RUNNER" = payara ]; then
  [ -f "$BUILD_DIR/wspush-ee.war" ] || { echo "missing $BUILD_DIR/wspush-ee.war (the thin WAR; BUILD=1)" >&2; exit 1; }
  [ -f "$PAYARA_JAR" ] || { echo "missing $PAYARA_JAR: mvn -q dependency:copy -Dartifact=fish.payara.extras:payara-micro:6.2025.10 -DoutputDirectory=target/containers -Dmdep.stripVersion=true" >&2; exit 1; }
  cp -p "$BUILD_DIR/wspush-ee.war" "$RUN/wspush-ee.war"
  mkdir -p "$RUN/payara-root"
  # The same preboot commands as PayaraContainer (the tests), then PAYARA_PREBOOT's.
  { printf '%s\n' \
      "set configs.config.server-config.network-config.network-listeners.network-listener.http-listener.address=127.0.0.1" \
      "set configs.config.server-config.microprofile-metrics-configuration.enabled=false" \
      "set configs.config.server-config.microprofile-metrics-configuration.endpoint=_payara_metrics" \
      "set-microprofile-healthcheck-configuration --enabled=false --endpoint=_payara_health" \
      "set-openapi-configuration --enabled=false --endpoint=_payara_openapi"
    [ -z "$PAYARA_PREBOOT" ] || printf '%s\n' "$PAYARA_PREBOOT" | tr ';' '\n' | sed 's/^ *//'
  } > "$RUN/preboot.asadmin"
  MAIN=(-jar "$PAYARA_JAR" --nohazelcast --disablephonehome --rootdir "$RUN/payara-root" --port "$PORT"
    --contextroot / --prebootcommandfile "$RUN/preboot.asadmin" --deploy "$RUN/wspush-ee.war")
fi
LOG=target/bench/server-$SCENARIO${PEER:+-$PEER}.log
case "$RUNNER" in payara|wserver|nchan) CP_ARGS=() ;; *) CP_ARGS=(-cp "$MAIN_CP:$SERVER_CP") ;; esac
STARTED=$(date +%s.%N)
# The peers get the same push key in the Authorization header (wserver checks it; Nchan ignores it).
case "$RUNNER" in
  wserver) PORT=$PORT WSERVER_PUSH_KEY="$PUSH_KEY" taskset -c "$SERVER_CPU" bench/peers/wserver.sh > "$LOG" 2>&1 & ;;
  nchan)   PORT=$PORT taskset -c "$SERVER_CPU" bench/peers/nchan.sh > "$LOG" 2>&1 & ;;
  *)
    # shellcheck disable=SC2086  # SERVER_JAVA_OPTS and SERVER_SETTINGS are word lists
    taskset -c "$SERVER_CPU" "$SERVER_JAVA" $SERVER_JAVA_OPTS "${EXTRA_OPTS[@]}" \
      -Dwspush.token.secret="$SECRET" -Dwspush.push.key="$PUSH_KEY" \
      -Dwspush.limit.connections-per-user="$PER_USER_LIMIT" -Dwspush.limit.connections=100000 -Dbench.maxSeconds=900 \
      $SERVER_SETTINGS "${CP_ARGS[@]}" "${MAIN[@]}" > "$LOG" 2>&1 & ;;
esac
SERVER_PID=$!
echo "server pid $SERVER_PID on CPU $SERVER_CPU ($RUNNER), log $LOG"
ready() {   # wspush answers /health; wserver has none (any answer to a push with the key will do); nginx: /health
  case "$RUNNER" in
    wserver) curl -sf -o /dev/null -H "Authorization: Bearer $PUSH_KEY" \
               -d '{"userId":"ready","event":"bench","message":"ready"}' "http://127.0.0.1:$PORT/push" ;;
    *) curl -sf -o /dev/null "http://127.0.0.1:$PORT/health" ;;
  esac
}
# Polled every 0.1 s: the time to ready is a figure of its own (start-up, AOT cache).
for _ in $(seq 1800); do
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "server died:" >&2; tail -30 "$LOG" >&2; exit 1; }
  ready && break
  sleep 0.1
done
ready || { echo "server not ready after 180 s" >&2; tail -30 "$LOG" >&2; exit 1; }
READY_S=$(awk -v a="$STARTED" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
echo "server ready after $READY_S s (JVM start to the first answer)"
# The JIT's threads against the others: CPU time and nice value (docs/TUNING.md "Warm-up": -XX:ThreadPriorityPolicy=1
# puts the compiler first on a busy core; a JVM without the privilege to raise a priority ignores that silently).
jit_threads() {
  case "$RUNNER" in wserver|nchan) return 0 ;; esac
  local t comm stat
  for t in /proc/"$SERVER_PID"/task/*; do
    comm=$(cat "$t/comm" 2>/dev/null) && stat=$(cut -d')' -f2- "$t/stat" 2>/dev/null) || continue
    echo "$comm|$stat"
  done | awk -F'|' -v tck="$(getconf CLK_TCK)" -v when="$1" '
    { split($2, f, " ")   # f[12], f[13]: utime, stime (clock ticks); f[17]: nice
      g = ($1 ~ /^C2 CompilerThre/) ? "C2" : ($1 ~ /^C1 CompilerThre/) ? "C1" : "other"
      cpu[g] += (f[12] + f[13]) / tck
      if (!(g in lo) || f[17] < lo[g]) lo[g] = f[17]
      if (!(g in hi) || f[17] > hi[g]) hi[g] = f[17] }
    function nice(g) { return lo[g] == hi[g] ? lo[g] : lo[g] ".." hi[g] }
    END { printf "server JIT threads %s: C2 %.1f s of CPU (nice %s), C1 %.1f s (nice %s); the other threads %.1f s (nice %s)\n",
                 when, cpu["C2"], nice("C2"), cpu["C1"], nice("C1"), cpu["other"], nice("other") }'
}
jit_threads "when ready"
# The process whose CPU (and system calls) are measured: Nchan's work is done by nginx's worker, the only child of
# the master that bench/peers/nchan.sh started.
MEASURE_PID=$SERVER_PID
if [ "$RUNNER" = nchan ]; then
  MASTER=$(ps -o pid= --ppid "$SERVER_PID" | tr -d ' ' | head -1)
  MEASURE_PID=$(ps -o pid= --ppid "$MASTER" | tr -d ' ' | head -1)
  [ -n "$MEASURE_PID" ] || { echo "no nginx worker under $SERVER_PID" >&2; exit 1; }
  echo "nginx master $MASTER, worker $MEASURE_PID (measured)"
fi
TARGET_ARGS=()
[ -n "$PEER" ] && TARGET_ARGS=(--target "$PEER" --protocol plain)

# ---------------------------------------------------------------- load tool
tool() {
  # shellcheck disable=SC2086
  WSPUSH_BENCH_SECRET="$SECRET" WSPUSH_BENCH_PUSH_KEY="$PUSH_KEY" \
    taskset -c "$TOOL_CPU" java $TOOL_JAVA_OPTS -cp "$RUN/wspush-bench.jar" io.wspush.bench.LoadTool \
      --url "http://127.0.0.1:$PORT/" --server-pid "$MEASURE_PID" --max-seconds "$MAX_SECONDS" \
      --out "$OUT" --label "$LABEL" --server-ready-s "$READY_S" "${CLIENT_ARGS[@]}" "$@" ${TARGET_ARGS[@]+"${TARGET_ARGS[@]}"}
}

RC=0
pre_warmup() { # pre_warmup NAME LABEL args...: one unmeasured tool run that only warms the server up
  local name=$1 label=$2
  shift 2
  [ "$PRE_WARMUP" -gt 0 ] || return 0
  echo "---- warming the server up: $PRE_WARMUP unmeasured pushes at $PRE_WARMUP_RATE/s"
  # Bounded: the time the pushes take at that rate, plus a minute for connecting.
  local bound
  bound=$(awk -v n="$PRE_WARMUP" -v r="$PRE_WARMUP_RATE" 'BEGIN { print int(n / r) + 60 }')
  if [ "$PRE_WARMUP_MODE" = load ]; then
    # "$@" first: an extra --pushes for the measured run must not shorten the warm-up.
    tool "${ARGS[@]}" "$@" --name "$name" --label "$label" --warmup 0 --pushes "$PRE_WARMUP" --rate "$PRE_WARMUP_RATE" \
      --out /dev/null --max-seconds "$bound" | grep -E '^(connect|push:|delivered|OK|NOT OK|DEADLINE)' || RC=$?
  else
    tool "${ARGS[@]}" --name "$name" --label "$label" --warmup "$PRE_WARMUP" --warmup-rate "$PRE_WARMUP_RATE" \
      --pushes 0 "$@" --max-seconds "$bound" | grep -E '^(connect|warm-up|OK|NOT OK|DEADLINE)' || RC=$?
  fi
}
syscall_window() { # one more run of the scenario; perf counts the server's system calls during its push phase only
  [ "$SYSCALLS" = 1 ] || return 0
  echo "---- counting system calls (perf stat -e raw_syscalls:sys_enter -p $MEASURE_PID) in a separate run"
  local json=$RUN/syscalls.json perf_out=$RUN/perf.txt
  # The tool prints "holding ..." before a 1 s idle pause that precedes its pushes (perf attaches meanwhile) and
  # "push: ..." once every message arrived: perf counts that window (1 s idle included, negligible).
  local more=()
  [ -n "$SYSCALL_PUSHES" ] && more=(--pushes "$SYSCALL_PUSHES")
  tool "${ARGS[@]}" --name "$SCENARIO-syscalls" --warmup 0 --hold 1 "$@" ${more[@]+"${more[@]}"} --out "$json" | {
    PERF_PID=
    while IFS= read -r line; do
      case "$line" in
        holding*) perf stat -x, -e "$SYSCALL_EVENTS" -p "$MEASURE_PID" -o "$perf_out" & PERF_PID=$! ;;
        push:*) [ -n "$PERF_PID" ] && { kill -INT "$PERF_PID"; wait "$PERF_PID" || true; } ;;
      esac
      case "$line" in JSON*) ;; *) echo "$line" ;; esac
    done
    if [ -n "$PERF_PID" ] && kill -0 "$PERF_PID" 2>/dev/null; then kill -INT "$PERF_PID"; wait "$PERF_PID" || true; fi
  } || RC=$?
  [ -s "$json" ] && [ -s "$perf_out" ] || { echo "no system call count" >&2; return 0; }
  python3 - "$json" "$perf_out" "$OUT" <<'PY'
import json, sys
run = json.loads(open(sys.argv[1]).read().splitlines()[-1])
counts = {}
for line in open(sys.argv[2]):
    f = line.strip().split(",")
    if len(f) > 2 and f[0].isdigit():
        counts[f[2].split(":")[-1].replace("sys_enter_", "")] = int(f[0])
total = counts.pop("sys_enter", 0)
pushes, msgs = run.get("push_ok", 0), run.get("delivered", 0)
run["syscalls"] = total
run["syscalls_per_push"] = round(total / pushes, 2) if pushes else -1
run["syscalls_per_msg"] = round(total / msgs, 3) if msgs else -1
for k, v in sorted(counts.items()):
    run["syscalls_" + k + "_per_push"] = round(v / pushes, 3) if pushes else -1
print("syscalls: %d in the push phase of %d pushes = %.2f per push, %.3f per delivered message (%s); pushes/s under perf %s"
      % (total, pushes, run["syscalls_per_push"], run["syscalls_per_msg"],
         ", ".join("%s %.2f" % (k, v / pushes) for k, v in sorted(counts.items()) if pushes and v), run.get("pushes_per_s")))
open(sys.argv[3], "a").write(json.dumps(run, separators=(",", ":")) + "\n")
PY
}
if [ "$SCENARIO" = sweep ]; then
  SWEEP_LABEL="$LABEL sweep $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  pre_warmup sweep-warmup "$SWEEP_LABEL" "$@"
  for R in $RATES; do
    # About 6 s of pushing per step (10,000 pushes when unthrottled). Every step is a fresh tool JVM, so every step
    # warms up (unmeasured pushes) before measuring.
    if [ "$R" = 0 ]; then P=$(scale 10000); else P=$(awk -v r="$R" 'BEGIN { print int(r * 6) }'); fi
    W=$(scale 1000)
    echo "---- sweep: rate ${R}/s, $P pushes"
    tool "${ARGS[@]}" --name sweep --label "$SWEEP_LABEL" --rate "$R" --pushes "$P" --warmup "$W" --drain 3 "$@" || RC=$?
  done
  bench/plot.sh "$OUT" "$PNG" || RC=$?
else
  pre_warmup "$SCENARIO-warmup" "$LABEL" "$@"
  tool "${ARGS[@]}" --name "$SCENARIO" "$@" || RC=$?
  syscall_window "$@"
fi
echo "results appended to $OUT (exit $RC)"
exit "$RC"
