#!/usr/bin/env bash
# Runs one scenario against wspush and its two peers in ONE invocation, alternated (wspush wserver nchan, wspush
# wserver nchan, ...), each side one bench/run.sh run (server pinned to SERVER_CPU [1], tool to TOOL_CPU [0], all on
# 127.0.0.1), and prints them side by side with ratios against the best peer of the same round (issue 16).
#
#   WSERVER_BIN=/path/to/wserver-bench bench/peers.sh SCENARIO [extra LoadTool options...]
#
# The peers: wserver (Go, the server wspush replaces; a binary built outside this repository, started by
# bench/peers/wserver.sh) and Nchan (nginx-light + libnginx-mod-nchan, bench/peers/nchan.sh and nchan.conf). All three
# get the plain protocol, the same users, connections, pushes and warm-up; only fanout differs by design (wspush gets
# arrays of 100 pushes, the peers, which have no batch body, single pushes).
#
# Scenarios, steady state by default (the same pre-warm-up for all three: a JVM pinned to one core needs ~200,000
# pushes before it stops compiling; the Go and C servers need none, and get it anyway):
#   unicast    1,000 users x 2 connections, 100,000 single pushes, 16 at once; PRE_WARMUP 200,000 at 5,000/s for
#              the peers, at WSPUSH_PRE_WARMUP_RATE [2,000/s] for wspush: a cold JVM on one core does about 4,000/s,
#              and a warm-up that saturates its core starves the JIT compiling on that same core (BENCHMARKS.md)
#   fanout     the same users and pushes; wspush as arrays of 100 (4 at once), the peers single pushes (16 at once);
#              PRE_WARMUP 200,000 of the scenario's own pushes (PRE_WARMUP_MODE=load), rates as for unicast
#   multicast  fanout with wspush's multicast body: 100 users per request, one message for all of them (the issue's
#              "batches of 100 users"); the peers as in fanout
#   broadcast  1 user x 5,000 connections, 20 pushes, ONE at a time (wserver writes to a connection from the
#              pushing goroutine without a lock: two pushes to one user at once make gorilla/websocket panic);
#              PRE_WARMUP 300 pushes at 10/s (1.5 million frames)
# Every side also counts the server's system calls in a separate run (run.sh SYSCALLS=1, perf stat).
#
# Environment (defaults in brackets): ROUNDS [2]  SIDES [wspush wserver nchan]  WSERVER_BIN (required for wserver)
#   PORT [18100] (side i listens on PORT+i)  LOCK [/tmp/wspush-bench.lock] held (flock) for one round (its three
#   sides, a few minutes), so that benchmarks of other people on this machine run neither during a round nor
#   between its sides; LOCK_SCOPE=side takes it for each side instead  OUT [target/bench/peers.jsonl]
#   SYSCALL_PUSHES [unicast, fanout: 20000] pushes of the separate system-call counting run (run.sh SYSCALLS=1)
#   BUILD [1] 1 = build the WAR and the tool once first (outside the lock); 0 = measure what is in BUILD_DIR
#   WSPUSH_RUNNER [war] the container of the wspush side: war (embedded Jetty 12), tomcat (embedded Tomcat 10.1,
#          connector properties in TOMCAT_CONNECTOR, e.g. the tuned ones of bench/containers.sh) or payara
#   PRE_WARMUP, PRE_WARMUP_RATE, PRE_WARMUP_MODE, SYSCALLS, SCALE, SERVER_CPU, TOOL_CPU, HALT_POLL_NS ...: as in
#   bench/run.sh (HALT_POLL_NS=200000: the load tool's idle core polls instead of halting, for all three sides)
# Summary of an earlier session again: bench/peers.sh --table SESSION_ID
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-target/bench/peers.jsonl}
table() { # table SESSION: per round and medians, from $OUT
  PYTHONPATH=bench python3 - "$OUT" "$1" <<'PY'
import statistics, sys
from results import runs
out, session = sys.argv[1], sys.argv[2]
rows = {}
for r in runs(out):
    lab = r.get("label", "").split(":")
    if len(lab) != 4 or lab[0] != "peers" or lab[1] != session:
        continue
    side, rnd = lab[2], lab[3]
    kind = "sys" if r["name"].endswith("-syscalls") else "run"
    if r["name"].endswith("-warmup"):
        continue
    rows.setdefault(rnd, {}).setdefault(side, {})[kind] = r
sides = ["wspush", "wserver", "nchan"]
ratios = {}
def f(v, d=0):
    return "-" if v is None or v == -1 else ("{:,.%df}" % d).format(v)
print("| round | server | delivered msgs/s | x best peer | pushes/s | server CPU us/msg (user + sys) | x best peer "
      "| syscalls/push (/msg) | p50 / p99 ms | server core % | tool core % | others % | load 1m | idle poll us | ok |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for rnd in sorted(rows):
    rr = rows[rnd]
    peers = [s for s in ("wserver", "nchan") if s in rr and "run" in rr[s]]
    best = max(peers, key=lambda s: rr[s]["run"]["delivered_per_s"]) if peers else None
    for s in sides:
        if s not in rr or "run" not in rr[s]:
            continue
        r, y = rr[s]["run"], rr[s].get("sys", {})
        xr = xc = None
        if best:
            b = rr[best]["run"]
            xr = r["delivered_per_s"] / b["delivered_per_s"] if b["delivered_per_s"] > 0 else None
            xc = r["server_cpu_us_per_msg"] / b["server_cpu_us_per_msg"] if b["server_cpu_us_per_msg"] > 0 else None
            ratios.setdefault(s, []).append((xr, xc))
        hp = r.get("guest_halt_poll_ns")
        print("| %s | %s%s | %s | %s | %s | %s (%s + %s) | %s | %s (%s) | %s / %s | %s | %s | %s | %s | %s | %s |" % (
            rnd, s, " (best peer)" if s == best else "", f(r["delivered_per_s"]), f(xr, 2), f(r["pushes_per_s"]),
            f(r["server_cpu_us_per_msg"], 2), f(r.get("server_cpu_user_us_per_msg"), 2),
            f(r.get("server_cpu_sys_us_per_msg"), 2), f(xc, 2),
            f(y.get("syscalls_per_push"), 1), f(y.get("syscalls_per_msg"), 2),
            f(r["lat_p50_ms"], 2), f(r["lat_p99_ms"], 1), f(r["server_cpu_pct_push"]), f(r["tool_cpu_pct_push"]),
            f(r["others_cpu_pct_push"]), f(r["loadavg_1m"], 2), f(None if hp is None or hp < 0 else hp / 1000),
            "yes" if r["ok"] else "NO"))
print()
for s in sides:
    v = ratios.get(s)
    if v:
        xr = [a for a, _ in v if a]
        xc = [c for _, c in v if c]
        print("%s against the best peer of each round, median of %d: delivered msgs/s %sx, server CPU per delivered message %sx"
              % (s, len(v), f(statistics.median(xr), 2) if xr else "-", f(statistics.median(xc), 2) if xc else "-"))
PY
}

if [ "${1:-}" = --table ]; then table "${2:?session id}"; exit 0; fi
SCENARIO=${1:-}
if [ -z "$SCENARIO" ] || [ "$SCENARIO" = -h ] || [ "$SCENARIO" = --help ]; then
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  exit 2
fi
shift

ROUNDS=${ROUNDS:-2}
SIDES=${SIDES:-wspush wserver nchan}
PORT=${PORT:-18100}
LOCK=${LOCK:-/tmp/wspush-bench.lock}
BUILD=${BUILD:-1}
case "$SCENARIO" in
  unicast)   : "${PRE_WARMUP:=200000}" "${PRE_WARMUP_RATE:=5000}" "${WSPUSH_PRE_WARMUP_RATE:=2000}" "${SYSCALL_PUSHES:=20000}"
             EXTRA=(--pushes 100000) ;;
  fanout|multicast)
             : "${PRE_WARMUP:=200000}" "${PRE_WARMUP_RATE:=5000}" "${WSPUSH_PRE_WARMUP_RATE:=2000}" "${PRE_WARMUP_MODE:=load}"
             : "${SYSCALL_PUSHES:=20000}"; EXTRA=(--pushes 100000) ;;
  broadcast) : "${PRE_WARMUP:=300}" "${PRE_WARMUP_RATE:=10}"; EXTRA=(--concurrency 1) ;;
  *) EXTRA=() ;;
esac
EXTRA+=(--protocol plain)   # wserver's wire protocol, which wspush speaks to plain clients
export PRE_WARMUP=${PRE_WARMUP:-0} PRE_WARMUP_RATE=${PRE_WARMUP_RATE:-2000} PRE_WARMUP_MODE=${PRE_WARMUP_MODE:-probe}
WSPUSH_PRE_WARMUP_RATE=${WSPUSH_PRE_WARMUP_RATE:-$PRE_WARMUP_RATE}
WSPUSH_RUNNER=${WSPUSH_RUNNER:-war}
export SYSCALLS=${SYSCALLS:-1} SYSCALL_PUSHES=${SYSCALL_PUSHES:-} OUT
LOCK_SCOPE=${LOCK_SCOPE:-round}
case " $SIDES " in *" wserver "*) : "${WSERVER_BIN:?set WSERVER_BIN to the built wserver binary (bench/peers/wserver.sh)}"; export WSERVER_BIN ;; esac

if [ "$BUILD" = 1 ]; then
  echo "building target/wspush.war and the tool (once, outside the lock)"
  mvn -q package -DskipTests
  mkdir -p "${BUILD_DIR:-target/bench/build}"
  cp target/wspush.war "${BUILD_DIR:-target/bench/build}/wspush.war"
  mvn -q -f bench/pom.xml package
fi

SESSION=$(date -u +%Y%m%dT%H%M%SZ)
REV=$(git rev-parse --short HEAD 2>/dev/null || echo none)
echo "session $SESSION ($REV): $SCENARIO x $ROUNDS round(s) of [$SIDES] (wspush on $WSPUSH_RUNNER), pre-warm-up $PRE_WARMUP ($PRE_WARMUP_MODE) at $PRE_WARMUP_RATE/s (wspush $WSPUSH_PRE_WARMUP_RATE/s)"
RC=0
exec 9>>"$LOCK"
lock() { echo "waiting for $LOCK ($(date -u +%H:%M:%S))"; flock 9; echo "holding $LOCK ($(date -u +%H:%M:%S))"; }
unlock() { flock -u 9; }
trap unlock EXIT
for R in $(seq "$ROUNDS"); do
  [ "$LOCK_SCOPE" = side ] || lock
  i=0
  for SIDE in $SIDES; do
    RATE=$PRE_WARMUP_RATE
    case "$SIDE" in wspush) RUNNER=$WSPUSH_RUNNER RATE=$WSPUSH_PRE_WARMUP_RATE ;; wserver|nchan) RUNNER=$SIDE ;;
      *) echo "unknown side $SIDE" >&2; exit 2 ;; esac
    [ "$LOCK_SCOPE" = side ] && lock
    echo "==== round $R: $SIDE (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    # 9>&-: the servers and the tool do not inherit the lock's descriptor.
    env RUNNER="$RUNNER" PRE_WARMUP_RATE="$RATE" PORT=$((PORT + i)) BUILD=0 LABEL="peers:$SESSION:$SIDE:r$R" \
      bench/run.sh "$SCENARIO" ${EXTRA[@]+"${EXTRA[@]}"} "$@" 9>&- \
      | grep -vE '^(JSON|open-file|tool RSS)' || RC=$?
    [ "$LOCK_SCOPE" = side ] && unlock
    i=$((i + 1))
  done
  unlock
done
echo
echo "==== $SCENARIO, session $SESSION ($REV), $OUT"
table "$SESSION"
exit "$RC"
