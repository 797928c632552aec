#!/usr/bin/env bash
# Runs Nchan (nginx-light + libnginx-mod-nchan, Debian packages) in the foreground on 127.0.0.1:PORT with the config
# bench/peers/nchan.conf, its pid file, logs and temp files in a fresh folder under /tmp, removed on exit. It stays in
# the foreground (daemon off): stop it by the PID this script's caller started (TERM reaches nginx, which exits).
#   PORT=18102 bench/peers/nchan.sh          (bench/run.sh RUNNER=nchan starts it pinned to SERVER_CPU)
# The worker process (the one doing the work) is the master's only child: `ps -o pid= --ppid <master pid>`.
set -euo pipefail
PORT=${PORT:?set PORT}
PREFIX=$(mktemp -d /tmp/wspush-nchan.XXXXXX)
trap 'rm -rf "$PREFIX"' EXIT
sed -e "s|@PORT@|$PORT|g" -e "s|@PREFIX@|$PREFIX|g" "$(dirname "$0")/nchan.conf" > "$PREFIX/nginx.conf"
# Not exec: the trap removes the folder after nginx stops. TERM/INT are passed on to nginx.
nginx -p "$PREFIX" -c "$PREFIX/nginx.conf" -e "$PREFIX/error.log" -g 'daemon off;' &
NGINX=$!
trap 'kill -TERM "$NGINX" 2>/dev/null; wait "$NGINX"; rm -rf "$PREFIX"' TERM INT
wait "$NGINX" || true
rm -rf "$PREFIX"
