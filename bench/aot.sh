#!/usr/bin/env bash
# Time to steady state after start, JVM against JVM (issue 16): trains a JDK 25 ahead-of-time cache (JEP 483/514/515:
# classes loaded and linked, plus method profiles) under the benchmark load, then runs bench/run.sh's `warmup`
# scenario (a cold server under full load at once, LoadTool --timeline) for each variant, alternated round by round,
# and prints a table of start-up time, time to steady state and the steady rate per variant.
#
#   bench/aot.sh                 # train (if the cache is missing), then ROUNDS rounds of VARIANTS
#   bench/aot.sh train           # only the training run (rewrites the cache)
#   VARIANTS='jdk25 jdk25-aot' ROUNDS=2 bench/aot.sh compare
#   bench/aot.sh summary         # the table again, from $OUT
#
# Variants (all with -Xmx2g, the server pinned to one core as in run.sh):
#   jdk17        the build JDK (java), default flags
#   jdk25        Temurin 25, default flags
#   jdk25-aot    Temurin 25 with -XX:AOTCache= the trained cache
#   jdk25-aot-t8 the same, and Jetty's pool at 8 threads (bench.threads=8, bench.minThreads=4): fewer runnable request
#                threads leave the JIT threads more of the one core; logs class loading to count what the cache held
#   jdk25-c1     -XX:TieredStopAtLevel=1: C1 only; known to reach its (lower) peak at once
#   jdk25-aot-c2 the cache and -XX:-TieredCompilation: interpreter then C2 only (no tier-3 profiling code)
#   jdk17-jit-first, jdk25-jit-first, jdk25-aot-jit-first
#                the compiler threads before the request threads on the core: $JIT_FIRST (nice -15 for the JIT;
#                needs root or CAP_SYS_NICE, else the JVM ignores it: run.sh prints the threads' nice values)
#   jdk17-jit-first-nice, jdk25-jit-first-nice
#                the same order without privilege: $JIT_FIRST_UNPRIVILEGED (Java threads at nice 10, the JIT at 0)
#
# Environment (defaults in brackets): J17 [java]  J25 [/usr/lib/jvm/temurin-25-jdk-amd64/bin/java]
#   AOT_DIR [/tmp/wspush-aot] the cache (wspush-$RUNNER.aot) and the fixed run folder the cache's class path needs
#   TRAIN_SECONDS [90] full load of the training run  TIMELINE [120] seconds of full load per measured run
#   ROUNDS [1]  VARIANTS [jdk17 jdk25 jdk25-aot jdk25-aot-t8 jdk25-c1]  RUNNER [war]
#   PORT [18210]  OUT [target/bench/aot.jsonl]  LOCK [/tmp/wspush-bench.lock] (each run holds it: a shared machine)
# Extra arguments go to LoadTool (e.g. --protocol plain, the default here).
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-all}
case "$MODE" in train|compare|all|summary) shift || true ;; -h|--help)
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 2 ;; *) MODE=all ;; esac
J17=${J17:-java}
J25=${J25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
AOT_DIR=${AOT_DIR:-/tmp/wspush-aot}
case "$AOT_DIR" in /tmp/wspush-*) ;; *) echo "AOT_DIR must be under /tmp/wspush-*" >&2; exit 2 ;; esac
RUNNER=${RUNNER:-war}
TRAIN_SECONDS=${TRAIN_SECONDS:-90}
TIMELINE=${TIMELINE:-120}
ROUNDS=${ROUNDS:-1}
VARIANTS=${VARIANTS:-jdk17 jdk25 jdk25-aot jdk25-aot-t8 jdk25-c1}
PORT=${PORT:-18210}
OUT=${OUT:-target/bench/aot.jsonl}
LOCK=${LOCK:-/tmp/wspush-bench.lock}
CACHE=$AOT_DIR/wspush-$RUNNER.aot
# docs/TUNING.md "Warm-up": the JIT's threads ahead of the request threads on a busy core.
JIT_FIRST='-XX:ThreadPriorityPolicy=1 -XX:CompilerThreadPriority=-15'
JIT_FIRST_UNPRIVILEGED='-XX:ThreadPriorityPolicy=1 -XX:JavaPriority5_To_OSPriority=10 -XX:CompilerThreadPriority=0'
[ $# -gt 0 ] || set -- --protocol plain
mkdir -p "$AOT_DIR" "$(dirname "$OUT")"

# run LABEL JAVA OPTS SETTINGS SECONDS args...: one cold server, full load for SECONDS (under the lock)
run() {
  local label=$1 jvm=$2 opts=$3 settings=$4 seconds=$5
  shift 5
  echo "==== $label ($(uptime | sed 's/.*load average/load average/'))"
  # The same RUN_DIR for every run: the cache is only used by a JVM with the training run's class path.
  flock "$LOCK" env LABEL="aot $label" BUILD=0 RUN_DIR="$AOT_DIR/run" STOP_WAIT=300 RUNNER="$RUNNER" PORT="$PORT" \
    OUT="$OUT" SERVER_JAVA="$jvm" SERVER_JAVA_OPTS="$opts" SERVER_SETTINGS="$settings" TIMELINE="$seconds" \
    bench/run.sh warmup "$@" | grep -E '^(server ready|steady state|server JVM|server JIT|push:|delivered:|server:|OK|NOT OK|DEADLINE)' || true
}

train() {
  rm -f "$CACHE"
  # JEP 514: -XX:AOTCacheOutput records the training run and, when the JVM exits (run.sh's SIGTERM at the end), a
  # child JVM assembles the cache; STOP_WAIT gives it the time.
  run "train-$RUNNER" "$J25" "-Xmx2g -XX:AOTCacheOutput=$CACHE" "" "$TRAIN_SECONDS" "$@"
  [ -s "$CACHE" ] || { echo "no cache written: see target/bench/server-warmup.log" >&2; exit 1; }
  echo "cache $CACHE: $(du -h "$CACHE" | cut -f1)"
}

variant() {
  local v=$1
  shift
  case "$v" in
    jdk17)        run "$v" "$J17" "-Xmx2g" "" "$TIMELINE" "$@" ;;
    jdk25)        run "$v" "$J25" "-Xmx2g" "" "$TIMELINE" "$@" ;;
    jdk25-aot)    run "$v" "$J25" "-Xmx2g -XX:AOTCache=$CACHE" "" "$TIMELINE" "$@" ;;
    jdk25-aot-t8) # also logs where each class came from: how much of the server the cache covers
                  run "$v" "$J25" "-Xmx2g -XX:AOTCache=$CACHE -Xlog:class+load=info:file=$AOT_DIR/classload-$RUNNER.log" \
                    "-Dbench.threads=8 -Dbench.minThreads=4" "$TIMELINE" "$@"
                  echo "classes: $(grep -c 'source: shared objects file' "$AOT_DIR/classload-$RUNNER.log") from the AOT cache, $(grep -vc 'source: shared objects file' "$AOT_DIR/classload-$RUNNER.log") loaded otherwise" ;;
    jdk25-c1)     run "$v" "$J25" "-Xmx2g -XX:TieredStopAtLevel=1" "" "$TIMELINE" "$@" ;;
    jdk25-aot-c2) run "$v" "$J25" "-Xmx2g -XX:AOTCache=$CACHE -XX:-TieredCompilation" "" "$TIMELINE" "$@" ;;
    jdk17-jit-first|jdk25-jit-first|jdk25-aot-jit-first|jdk17-jit-first-nice|jdk25-jit-first-nice)
                  local jvm=$J25 opts="-Xmx2g"
                  case "$v" in jdk17-*) jvm=$J17 ;; esac
                  case "$v" in *-aot-*) opts="$opts -XX:AOTCache=$CACHE" ;; esac
                  case "$v" in *-nice) opts="$opts $JIT_FIRST_UNPRIVILEGED" ;; *) opts="$opts $JIT_FIRST" ;; esac
                  run "$v" "$jvm" "$opts" "" "$TIMELINE" "$@" ;;
    *) echo "unknown variant $v" >&2; exit 2 ;;
  esac
}

summary() {
  # Per variant: median of each figure over its runs (the JSON lines of this file whose label starts "aot ").
  PYTHONPATH=bench python3 - "$OUT" <<'EOF'
import sys, statistics as st
from results import runs, median as med
rows = {}
for j in runs(sys.argv[1]):
    if not j.get("label", "").startswith("aot ") or "tts_rate_s" not in j: continue
    rows.setdefault(j["label"][4:], []).append(j)
def show(rs, k):
    return " / ".join("-" if r.get(k, -1) < 0 else str(round(r[k], 1)) for r in rs)
def series(r):
    # The run's per-second timeline: delivered msgs/s and server CPU us per message ("-": no message that second).
    return ([float(x) for x in r["timeline_rates"].split()],
            [float(x) if x != "-" else 0.0 for x in r["timeline_us_per_msg"].split()])
def mean_us(rate, us, i, j):
    # Server CPU per message over seconds i..j-1 (each second weighted by its messages); None without messages.
    m = sum(rate[i:j])
    return sum(a * b for a, b in zip(rate[i:j], us[i:j])) / m if m else None
def tts10(r):
    # Robust to a single noisy second: the start of the first 10 s window from which every later 10 s mean of the
    # CPU per message stays within 10% of the final (steady) value; "-" if none does.
    rate, us = series(r)
    final = r.get("steady_us_per_msg", -1)
    means = [mean_us(rate, us, i, i + 10) for i in range(0, len(rate) - len(rate) % 10, 10)]
    means = [float("inf") if x is None else x for x in means]
    for k in range(len(means)):
        if final > 0 and all(abs(x - final) <= 0.1 * final for x in means[k:]):
            return str(10 * k)
    return "-"
print("| variant | runs | ready s | tts rate s (each run) | tts CPU/msg s (each run) | tts CPU/msg, 10 s means (each run) | server CPU s to steady | steady from JVM start s (CPU/msg) | steady msgs/s | steady us/msg | first 5 s us/msg | first 60 s us/msg (each run) | others' CPU % | load avg |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for k, rs in rows.items():
    first = [st.mean([float(x) for x in r["timeline_us_per_msg"].split()[:5] if x != "-"]) for r in rs]
    # The whole first minute's cost: server CPU over messages, from the per-second series.
    minutes = " / ".join(str(round(mean_us(*series(r), 0, 60) or 0)) for r in rs)
    print(f"| {k} | {len(rs)} | {med(rs,'server_ready_s')} | {show(rs,'tts_rate_s')} | {show(rs,'tts_cpu_s')} | "
          f"{' / '.join(tts10(r) for r in rs)} | "
          f"{show(rs,'server_cpu_to_steady_s')} | {show(rs,'tts_cpu_since_jvm_start_s')} | "
          f"{med(rs,'steady_rate')} | {med(rs,'steady_us_per_msg')} | {round(st.median(first),0)} | {minutes} | {med(rs,'others_cpu_pct_push')} | {show(rs,'loadavg_1m')} |")
print()
print("server CPU per delivered message, mean of each 10 s of full load (us):")
print()
print("| run | " + " | ".join(f"{10*i}-{10*i+10} s" for i in range(12)) + " |")
print("|---|" + "---|" * 12)
for k, rs in rows.items():
    for r in rs:
        rate, us = series(r)
        means = [mean_us(rate, us, i, i + 10) for i in range(0, min(len(rate), 120), 10)]
        cells = ["-" if x is None else str(round(x)) for x in means]
        print(f"| {k} | " + " | ".join(cells) + " |")
EOF
}

[ "$MODE" = summary ] && { summary; exit 0; }
BUILD_NEEDED=0
[ -f target/bench/build/wspush.war ] || BUILD_NEEDED=1
[ "$BUILD_NEEDED" = 0 ] || { mvn -q package -DskipTests && mkdir -p target/bench/build && cp target/wspush.war target/wspush-ee.war target/bench/build/; }
if [ "$MODE" = train ] || { [ "$MODE" = all ] && [ ! -s "$CACHE" ]; }; then train "$@"; fi
if [ "$MODE" != train ]; then
  for _ in $(seq "$ROUNDS"); do
    for v in $VARIANTS; do variant "$v" "$@"; done
  done
  summary
fi
