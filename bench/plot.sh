#!/usr/bin/env bash
# Draws latency percentiles (p50, p90, p99, max) against the achieved push rate from the "sweep" runs that
# bench/run.sh appended to a results file, as a PNG (gnuplot, Debian package gnuplot-nox, installed if missing).
#
#   bench/plot.sh [RESULTS.jsonl] [OUT.png]
#
# By default only the latest sweep (the label of the last "sweep" line) is drawn; LABEL=... picks another,
# ALL=1 draws every sweep in the file, MATCH=REGEX the sweeps whose label matches (one colour per percentile, one dash
# pattern per sweep); PCTS picks the percentiles drawn (default "p50 p90 p99 max"), e.g. PCTS="p50 p99" when several
# sweeps share the plot.
set -euo pipefail
cd "$(dirname "$0")/.."
IN=${1:-target/bench/results.jsonl}
PNG=${2:-target/bench/latency-vs-rate.png}
[ -f "$IN" ] || { echo "no results file $IN" >&2; exit 1; }

if ! command -v gnuplot > /dev/null; then
  echo "installing gnuplot-nox (Debian)"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq gnuplot-nox > /dev/null \
    || { $SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq && $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq gnuplot-nox > /dev/null; }
fi

# The JSON lines are flat with unique keys, so sed picks a field.
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\)\"\{0,1\}[,}].*/\1/p"; }

SWEEPS=$(grep '"name":"sweep"' "$IN" || true)
[ -n "$SWEEPS" ] || { echo "no sweep runs in $IN (bench/run.sh sweep)" >&2; exit 1; }
if [ "${ALL:-0}" = 1 ]; then
  LABELS=$(printf '%s\n' "$SWEEPS" | field label | awk '!seen[$0]++')
elif [ -n "${MATCH:-}" ]; then
  LABELS=$(printf '%s\n' "$SWEEPS" | field label | awk '!seen[$0]++' | grep -E "$MATCH" || true)
  [ -n "$LABELS" ] || { echo "no sweep label matches '$MATCH'" >&2; exit 1; }
else
  LABELS=${LABEL:-$(printf '%s\n' "$SWEEPS" | tail -1 | field label)}
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PLOT=""
i=0
SHAPE=""
while IFS= read -r L; do
  [ -n "$L" ] || continue
  i=$((i + 1))
  DAT="$TMP/$i.dat"
  printf '%s\n' "$SWEEPS" | grep -F "\"label\":\"$L\"" | while IFS= read -r line; do
    R=$(printf '%s' "$line" | field rate_target)
    case "$R" in 0|0.0) R=max ;; *) R="${R%.0}/s" ;; esac
    printf '%s %s %s %s %s %s %s\n' \
      "$(printf '%s' "$line" | field pushes_per_s)" "$(printf '%s' "$line" | field lat_p50_ms)" \
      "$(printf '%s' "$line" | field lat_p90_ms)" "$(printf '%s' "$line" | field lat_p99_ms)" \
      "$(printf '%s' "$line" | field lat_max_ms)" "$(printf '%s' "$line" | field delivered_ratio)" "$R"
  done | sort -n -k1,1 > "$DAT"
  SHAPE=$(printf '%s\n' "$SWEEPS" | grep -F "\"label\":\"$L\"" | tail -1)
  T="$L"
  [ "$(printf '%s\n' "$LABELS" | grep -c .)" -gt 1 ] || T=""
  S=${T:+ $T}
  for P in ${PCTS:-p50 p90 p99 max}; do
    case "$P" in
      p50) PLOT+="${PLOT:+, }'$DAT' using 1:2 with linespoints dt $i lc rgb '#1b9e77' pt 7 title 'p50$S'" ;;
      p90) PLOT+="${PLOT:+, }'$DAT' using 1:3 with linespoints dt $i lc rgb '#7570b3' pt 5 title 'p90$S'" ;;
      p99) PLOT+="${PLOT:+, }'$DAT' using 1:4 with linespoints dt $i lc rgb '#d95f02' pt 9 title 'p99$S'" ;;
      max) PLOT+="${PLOT:+, }'$DAT' using 1:5 with linespoints dt $i lc rgb '#999999' pt 1 title 'max$S'" ;;
      *) echo "PCTS: p50, p90, p99 or max, not '$P'" >&2; exit 2 ;;
    esac
  done
  [ "$i" -gt 1 ] || PLOT+=", '$DAT' using 1:4:(\"target \".stringcolumn(7)) with labels offset 0,1.2 font ',9' tc rgb '#d95f02' notitle"
done <<< "$LABELS"

USERS=$(printf '%s' "$SHAPE" | field users)
CONNS=$(printf '%s' "$SHAPE" | field conns_per_user)
PROTO=$(printf '%s' "$SHAPE" | field protocol)
CONC=$(printf '%s' "$SHAPE" | field concurrency)
SUB="$USERS users x $CONNS connections ($PROTO), $CONC pushes in flight at most"
[ "$i" -gt 1 ] || SUB="$SUB, $LABELS"

gnuplot <<EOF
set terminal pngcairo size 1100,700 font "sans,11" noenhanced
set output '$PNG'
set title "wspush: latency from push sent to frame received vs push rate\n$SUB"
set xlabel "achieved pushes/s (unicast, one push reaches $CONNS connection(s)); labels: target rate"
set ylabel "latency (ms, log scale)"
set logscale y
set grid xtics ytics mytics
set key left top
set xrange [0:*]
plot $PLOT
EOF
echo "wrote $PNG"
