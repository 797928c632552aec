#!/usr/bin/env bash
# Runs the whole wspush test suite on a fresh machine: installs what the tests need and is missing
# (redis-server, nginx, chromium + chromedriver, Node.js from Debian), then the JavaScript unit tests and `mvn verify`
# (unit tests, end-to-end tests against the real WAR in Jetty, Tomcat and Payara, Redis and Chromium tests).
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)   # redis-cli joins the test Redis Cluster
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
[ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v node >/dev/null 2>&1 || need+=(nodejs)
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
  # Debian starts redis on 6379 and nginx on 80 after installing them; the tests start their own on free
  # loopback ports, so stop the packaged ones.
  for svc in redis-server nginx; do
    ($SUDO service "$svc" stop || true) >/dev/null 2>&1
  done
fi

# Tests hold thousands of sockets.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "test.sh: JavaScript client unit tests"
node --test src/test/js/

echo "test.sh: mvn verify"
exec mvn -B -ntp verify "$@"
