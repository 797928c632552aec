#!/usr/bin/env bash
# A/B comparison of two builds (or two server settings) under the same machine noise: runs one bench/run.sh scenario
# alternately for A and B (A B A B ...), then prints the median of each figure per side and the ratio B/A.
#
#   A_DIR=/tmp/b-base B_DIR=/tmp/b-new bench/ab.sh unicast [extra LoadTool options...]
#   A_OPTS='-Xmx2g' B_OPTS='-Xmx2g -XX:TieredStopAtLevel=1' bench/ab.sh unicast      # same WAR, two JVM settings
#
# Environment (defaults in brackets):
#   A_DIR, B_DIR [target/bench/build]  folders holding wspush.war. Build them first: bench/run.sh (BUILD=1) leaves
#                                      this checkout's WAR in target/bench/build; a baseline is the target/ folder
#                                      of a worktree of the older commit after mvn -q package -Dmaven.test.skip=true
#                                      (or a copy of its target/wspush.war). No WAR is built here; the launcher and
#                                      the tool are this checkout's (run.sh BUILD=0 builds them if missing).
#   A_OPTS, B_OPTS [$SERVER_JAVA_OPTS or -Xmx2g]  server JVM options of each side
#   A_JAVA, B_JAVA [$SERVER_JAVA or java]        server JVM of each side (e.g. Temurin 25 against 17)
#   A_SETTINGS, B_SETTINGS [$SERVER_SETTINGS]     extra -Dwspush.* / -Dbench.* server options of each side
#   A_CLIENTS, B_CLIENTS [run.sh's CLIENTS]       the tool's clients of each side (e.g. A_CLIENTS= for java.net.http)
#   A_LABEL, B_LABEL [A, B]  ROUNDS [2]  OUT [target/bench/ab.jsonl]  PORT [18080]  SCALE [1]
# Every run is a full bench/run.sh (fresh server JVM, fresh tool JVM) and stays within its MAX_SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."

SCENARIO=${1:-}
if [ -z "$SCENARIO" ] || [ "$SCENARIO" = "-h" ] || [ "$SCENARIO" = "--help" ]; then
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  exit 2
fi
shift
ROUNDS=${ROUNDS:-2}
OUT=${OUT:-target/bench/ab.jsonl}
A_DIR=${A_DIR:-target/bench/build}
B_DIR=${B_DIR:-target/bench/build}
A_OPTS=${A_OPTS:-${SERVER_JAVA_OPTS:--Xmx2g}}
B_OPTS=${B_OPTS:-${SERVER_JAVA_OPTS:--Xmx2g}}
A_JAVA=${A_JAVA:-${SERVER_JAVA:-java}}
B_JAVA=${B_JAVA:-${SERVER_JAVA:-java}}
A_SETTINGS=${A_SETTINGS:-${SERVER_SETTINGS:-}}
B_SETTINGS=${B_SETTINGS:-${SERVER_SETTINGS:-}}
DEFAULT_CLIENTS=${CLIENTS---push-client raw --ws-client raw}
A_CLIENTS=${A_CLIENTS-$DEFAULT_CLIENTS}
B_CLIENTS=${B_CLIENTS-$DEFAULT_CLIENTS}
A_LABEL=${A_LABEL:-A}
B_LABEL=${B_LABEL:-B}
TAG="ab $(date -u +%Y-%m-%dT%H:%M:%SZ)"
mkdir -p "$(dirname "$OUT")"

side() { # side LABEL DIR OPTS SETTINGS CLIENTS JAVA args...
  local label=$1 dir=$2 opts=$3 settings=$4 clients=$5 jvm=$6
  shift 6
  echo "==== $SCENARIO: $label ($(uptime | sed 's/.*load average/load average/'))"
  LABEL="$TAG $label" BUILD=0 BUILD_DIR="$dir" SERVER_JAVA_OPTS="$opts" SERVER_SETTINGS="$settings" OUT="$OUT" \
    SERVER_JAVA="$jvm" CLIENTS="$clients" bench/run.sh "$SCENARIO" "$@" | grep -E '^(connect|push|delivered|latency|server|tool|OK|NOT OK|DEADLINE)' || true
}
for _ in $(seq "$ROUNDS"); do
  side "$A_LABEL" "$A_DIR" "$A_OPTS" "$A_SETTINGS" "$A_CLIENTS" "$A_JAVA" "$@"
  side "$B_LABEL" "$B_DIR" "$B_OPTS" "$B_SETTINGS" "$B_CLIENTS" "$B_JAVA" "$@"
done
bench/ab-summary.sh "$OUT" "$TAG"
