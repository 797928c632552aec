#!/usr/bin/env bash
# Summarises the A/B runs that bench/ab.sh appended to a results file: for each side (the text after the tag in the
# label) the median of each figure over its runs, and the ratio of medians B/A (the second side over the first).
#
#   bench/ab-summary.sh [RESULTS.jsonl] [TAG]      TAG defaults to the tag of the last line ("ab <time>")
set -euo pipefail
cd "$(dirname "$0")/.."
IN=${1:-target/bench/ab.jsonl}
[ -f "$IN" ] || { echo "no results file $IN" >&2; exit 1; }
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\)\"\{0,1\}[,}].*/\1/p"; }
TAG=${2:-$(tail -1 "$IN" | field label | awk '{print $1, $2}')}
LINES=$(grep -F "\"label\":\"$TAG " "$IN" | grep -v "\"name\":\"[a-z0-9]*-warmup\"" || true)  # pre-warm-up runs are not measurements
[ -n "$LINES" ] || { echo "no runs tagged '$TAG' in $IN" >&2; exit 1; }
SIDES=$(printf '%s\n' "$LINES" | field label | sed "s/^$TAG //" | awk '!seen[$0]++')
FIELDS="pushes_per_s delivered_per_s delivered_ratio lost lat_p50_ms lat_p90_ms lat_p99_ms lat_max_ms server_cpu_us_per_msg server_cpu_pct_push tool_cpu_pct_push server_rss_per_conn_bytes server_heap_per_conn_bytes server_rss_connected_kb server_heap_connected_kb server_rss_after_kb connects_per_s server_cpu_connect_ms others_cpu_pct_push loadavg_1m"
name=$(printf '%s\n' "$LINES" | head -1 | field name)
echo "A/B '$TAG', scenario $name, file $IN (median over runs; ratio = second side / first side)"
{
  printf 'figure'
  for s in $SIDES; do printf '\t%s' "$s"; done
  printf '\truns\tratio\n'
  for f in $FIELDS; do
    printf '%s' "$f"
    meds=()
    n=""
    for s in $SIDES; do
      vals=$(printf '%s\n' "$LINES" | grep -F "\"label\":\"$TAG $s\"" | field "$f" | sort -g)
      cnt=$(printf '%s\n' "$vals" | grep -c . || true)
      med=$(printf '%s\n' "$vals" | awk 'NF { v[++n] = $1 } END { if (!n) print "-"; else if (n % 2) print v[(n + 1) / 2]; else print (v[n / 2] + v[n / 2 + 1]) / 2 }')
      meds+=("$med")
      n="$n${n:+/}$cnt"
      printf '\t%s' "$med"
    done
    ratio=$(awk -v a="${meds[0]}" -v b="${meds[${#meds[@]}-1]}" 'BEGIN { if (a == "-" || b == "-" || a + 0 == 0) print "-"; else printf "%.2f", b / a }')
    printf '\t%s\t%s\n' "$n" "$ratio"
  done
} | column -t -s $'\t'
