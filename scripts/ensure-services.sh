#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1 for the tests: start them when they are
# installed but stopped, install them from Debian's packages when they are missing. The browser
# tests' chromium is installed from Debian's packages too (Playwright's own download is not
# reachable from every machine).
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT=${PGPORT:-5432}
REDIS_PORT=${TEST_REDIS_PORT:-6379}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

apt_install() {
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

pg_ready() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null; }
redis_ready() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

if ! pg_ready; then
  if ! command -v pg_ctlcluster >/dev/null; then
    echo "Installing PostgreSQL from Debian's packages..."
    apt_install postgresql
    fresh_pg=1
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  if [ "${fresh_pg:-0}" = 1 ]; then
    # A test machine: local TCP connections are trusted, as on the project's CI machines.
    hba=/etc/postgresql/$version/main/pg_hba.conf
    $SUDO sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  fi
  echo "Starting PostgreSQL $version..."
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  # The package may have started it already: make it read the access rules changed above.
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  pg_ready || { echo "PostgreSQL does not answer on $PG_HOST:$PG_PORT" >&2; exit 1; }
fi

if ! redis_ready; then
  if ! command -v redis-server >/dev/null; then
    echo "Installing Redis from Debian's packages..."
    apt_install redis-server
  fi
  echo "Starting Redis..."
  $SUDO mkdir -p /var/lib/redis /var/log/redis
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis_ready && break; sleep 0.5; done
  redis_ready || { echo "Redis does not answer on 127.0.0.1:$REDIS_PORT" >&2; exit 1; }
fi
if ! command -v chromium >/dev/null; then
  echo "Installing chromium from Debian's packages, for the browser tests..."
  apt_install chromium
fi
# The benches (`make bench`, BENCH_TOOLS=1) drive HTTP with wrk and the database with pgbench.
if [ "${BENCH_TOOLS:-0}" = 1 ]; then
  command -v wrk >/dev/null || { echo "Installing wrk from Debian's packages, for the benches..."; apt_install wrk; }
  command -v pgbench >/dev/null || { echo "Installing pgbench (PostgreSQL server package)..."; apt_install postgresql; }
fi
echo "PostgreSQL and Redis answer; chromium is installed."
