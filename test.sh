#!/usr/bin/env bash
# Runs the whole wspush test suite on a fresh machine: installs what the tests need and is missing
# (redis-server, chromium + chromedriver from Debian), then the JavaScript unit tests and `mvn verify`
# (unit tests, end-to-end tests against the real WAR in Jetty, Tomcat and Payara, Redis and Chromium tests).
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
  # The Debian package starts a redis on 6379; the tests start their own on free ports.
  if [[ " ${need[*]} " == *" redis-server "* ]]; then
    ($SUDO systemctl stop redis-server 2>/dev/null || $SUDO service redis-server stop 2>/dev/null || true) >/dev/null 2>&1
  fi
fi

# Tests hold thousands of sockets.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "test.sh: JavaScript client unit tests"
node --test src/test/js/

echo "test.sh: mvn verify"
exec mvn -B -ntp verify "$@"
