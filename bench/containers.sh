#!/usr/bin/env bash
# The same WAR, the same load tool, three containers (issue 16): runs each scenario on embedded Jetty 12 (JettyMain),
# embedded Tomcat 10.1 (TomcatMain) and Payara Micro 6 (the thin WAR), in a default and a tuned setting where the
# container has a knob that matters, alternated container by container (one bench/run.sh per run, each under the
# shared benchmark lock), then prints a table of the medians per scenario and container.
#
#   bench/containers.sh                                  # SCENARIOS x CONTAINERS, ROUNDS rounds
#   SCENARIOS='unicast' CONTAINERS='tomcat tomcat-tuned' ROUNDS=2 bench/containers.sh
#   bench/containers.sh summary                          # the table again, from $OUT
#
# Containers:
#   jetty         JettyMain as the benchmarks always ran it (pool 8..200 threads, accept queue 4096)
#   jetty-t8      the same with a pool of 8 threads (bench.threads=8, bench.minThreads=4)
#   tomcat        TomcatMain, NIO, Tomcat's defaults but maxConnections=20000 acceptCount=4096 (10,000 idle
#                 connections do not fit Tomcat's default of 8,192)
#   tomcat-tuned  + maxKeepAliveRequests=-1 (Tomcat closes a keep-alive connection after 100 requests by default)
#                 maxThreads=16 minSpareThreads=4
#   tomcat-nio2   tomcat-tuned on Http11Nio2Protocol
#   payara        Payara Micro 6 defaults (http-thread-pool 2..200, keep-alive max 250 requests per connection)
#   payara-tuned  + keep-alive requests unlimited (max-connections=-1), http-thread-pool 4..16
#
# Environment (defaults in brackets): SCENARIOS [unicast fanout broadcast idle]
#   CONTAINERS [jetty tomcat tomcat-tuned payara payara-tuned]  ROUNDS [1]  PORT [18220]
#   OUT [target/bench/containers.jsonl]  LOCK [/tmp/wspush-bench.lock]  SERVER_JAVA, SERVER_JAVA_OPTS as run.sh
# Warm-up per run (unmeasured, full speed, then measured): unicast 150,000 then 60,000 pushes; fanout 60,000 single
# pushes then 100,000 in arrays of 100; broadcast 40 then 40 pushes to 5,000 connections. MAX_SECONDS [240].
# Extra arguments go to LoadTool (default: --protocol plain).
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=run
if [ "${1:-}" = summary ]; then MODE=summary; shift; fi
if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 2
fi
SCENARIOS=${SCENARIOS:-unicast fanout broadcast idle}
CONTAINERS=${CONTAINERS:-jetty tomcat tomcat-tuned payara payara-tuned}
ROUNDS=${ROUNDS:-1}
PORT=${PORT:-18220}
OUT=${OUT:-target/bench/containers.jsonl}
LOCK=${LOCK:-/tmp/wspush-bench.lock}
[ $# -gt 0 ] || set -- --protocol plain
mkdir -p "$(dirname "$OUT")"
TAG="containers $(date -u +%Y-%m-%dT%H:%M:%SZ)"

TOMCAT_BASE='maxConnections=20000 acceptCount=4096'
TOMCAT_TUNED="$TOMCAT_BASE maxKeepAliveRequests=-1 maxThreads=16 minSpareThreads=4"
PAYARA_TUNED='set configs.config.server-config.network-config.protocols.protocol.http-listener.http.max-connections=-1;'\
'set configs.config.server-config.thread-pools.thread-pool.http-thread-pool.max-thread-pool-size=16;'\
'set configs.config.server-config.thread-pools.thread-pool.http-thread-pool.min-thread-pool-size=4'

one() { # one SCENARIO CONTAINER args...
  local scenario=$1 c=$2 runner settings='' connector=$TOMCAT_BASE preboot=''
  shift 2
  case "$c" in
    jetty) runner=war ;;
    jetty-t8) runner=war; settings='-Dbench.threads=8 -Dbench.minThreads=4' ;;
    tomcat) runner=tomcat ;;
    tomcat-tuned) runner=tomcat; connector=$TOMCAT_TUNED ;;
    tomcat-nio2) runner=tomcat; connector=$TOMCAT_TUNED; settings='-Dbench.tomcatProtocol=org.apache.coyote.http11.Http11Nio2Protocol' ;;
    payara) runner=payara ;;
    payara-tuned) runner=payara; preboot=$PAYARA_TUNED ;;
    *) echo "unknown container $c" >&2; exit 2 ;;
  esac
  # Each server is warmed up by unmeasured pushes at full speed first, so that the figures are of compiled code
  # rather than of each container's warm-up (bench/aot.sh measures that).
  local warm=()
  case "$scenario" in
    unicast) warm=(--warmup 150000 --pushes 60000) ;;
    fanout) warm=(--warmup 60000 --pushes 100000) ;;
    broadcast) warm=(--warmup 40 --pushes 40) ;;
  esac
  echo "==== $scenario on $c ($(uptime | sed 's/.*load average/load average/'))"
  flock "$LOCK" env LABEL="$TAG $c" BUILD=0 RUNNER="$runner" PORT="$PORT" OUT="$OUT" SERVER_SETTINGS="$settings" \
    MAX_SECONDS="${MAX_SECONDS:-240}" TOMCAT_CONNECTOR="$connector" PAYARA_PREBOOT="$preboot" \
    bench/run.sh "$scenario" "${warm[@]}" "$@" \
    | grep -E '^(server ready|connect:|server idle|push:|delivered:|latency|server:|tool:|OK|NOT OK|DEADLINE)' || true
}

summary() {
  PYTHONPATH=bench python3 - "$OUT" <<'EOF'
import sys
from results import runs, median as med
rows = {}
for j in runs(sys.argv[1]):
    lab = j.get("label", "")
    if not lab.startswith("containers "): continue
    rows.setdefault((j["name"], lab.split(" ", 2)[2]), []).append(j)
print("| scenario | container | runs | ready s | pushes/s | delivered msgs/s | server us/msg | p50 / p99 ms | heap B/conn | RSS B/conn | ok | load avg |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for (s, c), rs in sorted(rows.items()):
    print(f"| {s} | {c} | {len(rs)} | {med(rs,'server_ready_s')} | {med(rs,'pushes_per_s',0)} | {med(rs,'delivered_per_s',0)} | "
          f"{med(rs,'server_cpu_us_per_msg')} | {med(rs,'lat_p50_ms')} / {med(rs,'lat_p99_ms')} | "
          f"{med(rs,'server_heap_per_conn_bytes',0)} | {med(rs,'server_rss_per_conn_bytes',0)} | "
          f"{sum(1 for r in rs if r.get('ok'))}/{len(rs)} | {' '.join(str(r.get('loadavg_1m')) for r in rs)} |")
EOF
}

if [ "$MODE" = run ]; then
  [ -f target/bench/build/wspush.war ] && [ -f target/bench/build/wspush-ee.war ] \
    || { mvn -q package -DskipTests && mkdir -p target/bench/build && cp target/wspush.war target/wspush-ee.war target/bench/build/; }
  for _ in $(seq "$ROUNDS"); do
    for s in $SCENARIOS; do
      for c in $CONTAINERS; do one "$s" "$c" "$@"; done
    done
  done
fi
summary
