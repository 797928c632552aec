#!/usr/bin/env bash
# Starts wserver (github.com/alfred-zhong/wserver, the Go server wspush replaces) for bench/run.sh RUNNER=wserver and
# bench/peers.sh: an already built binary, given by its path, that takes the port as its only argument, listens on
# 127.0.0.1 only, maps the registration token (an HS256 JWT) to its "sub" claim as the user id, and accepts a push
# only with "Authorization: Bearer $WSERVER_PUSH_KEY". Neither wserver's code nor how to build it is kept in this
# repository (workplace rule: no code fetched from GitHub, no recipe that builds it): see bench/BENCHMARKS.md.
#   WSERVER_BIN=/path/to/wserver-bench PORT=18101 WSERVER_PUSH_KEY=... bench/peers/wserver.sh
# It replaces itself with the binary (exec), so the PID its caller started is the server's.
set -euo pipefail
: "${WSERVER_BIN:?set WSERVER_BIN to the built wserver benchmark binary}"
: "${PORT:?set PORT}"
: "${WSERVER_PUSH_KEY:?set WSERVER_PUSH_KEY}"
[ -x "$WSERVER_BIN" ] || { echo "WSERVER_BIN=$WSERVER_BIN is not an executable" >&2; exit 1; }
export WSERVER_PUSH_KEY
exec "$WSERVER_BIN" "$PORT"
