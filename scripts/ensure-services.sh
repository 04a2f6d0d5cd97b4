#!/usr/bin/env bash
# Make RabbitMQ (with the management plugin), Redis and PostgreSQL answer on localhost, starting them
# with the machine's standard commands when they do not, and install Debian's Chromium for the browser test
# when it is missing. Never reconfigures a running service. Run by `npm test` (pretest) and by .ci/run;
# says what it did, and exits non-zero naming what it could not do.
# MQA_SKIP_SERVICE_SETUP=1 skips it (brokers elsewhere: set MQA_TEST_AMQP_URL and friends yourself).
set -uo pipefail
if [ "${MQA_SKIP_SERVICE_SETUP:-}" = "1" ]; then echo "test services: setup skipped (MQA_SKIP_SERVICE_SETUP=1)"; exit 0; fi
failed=()

wait_for() { # name, tries, command...
  local name=$1 tries=$2; shift 2
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && { echo "$name: up"; return 0; }; sleep 1; done
  echo "$name: DOWN after ${tries}s" >&2; failed+=("$name"); return 1
}

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "redis: starting"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
wait_for redis 30 redis-cli -h 127.0.0.1 -p 6379 ping

if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  echo "postgresql: starting"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
fi
wait_for postgresql 30 pg_isready -h 127.0.0.1 -p 5432

rabbit_up() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
if ! rabbit_up; then
  echo "rabbitmq: starting"
  rabbitmq-server -detached || true
fi
wait_for rabbitmq 90 rabbit_up
# The management API (port 15672) serves topology plan/diff and the live auditor.
if ! (exec 3<>/dev/tcp/127.0.0.1/15672) 2>/dev/null; then
  echo "rabbitmq: enabling the management plugin"
  rabbitmq-plugins enable rabbitmq_management >/dev/null || true
fi
wait_for rabbitmq-management 60 bash -c '(exec 3<>/dev/tcp/127.0.0.1/15672)'

# Chromium from Debian's packages, for the browser test of `mqa monitor`'s live page (playwright-core drives
# it; nothing downloads a browser of its own).
if ! command -v chromium >/dev/null 2>&1; then
  echo "chromium: installing from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; }
fi
if command -v chromium >/dev/null 2>&1; then echo "chromium: $(chromium --version 2>/dev/null | head -1)"; else
  echo "chromium: MISSING (could not install Debian's chromium: run 'apt-get install chromium' as root)" >&2
  failed+=(chromium)
fi

# promtool, for the tests that check `mqa monitor --rules` and a real /metrics body. Only the binary is taken
# from Debian's prometheus package (installing the package would start a Prometheus server), into
# .cache/promtool/ (git-ignored); test/support/promtool.ts looks there and on PATH.
promtool_cached="$(cd "$(dirname "$0")/.." && pwd)/.cache/promtool/promtool"
if ! command -v promtool >/dev/null 2>&1 && [ ! -x "$promtool_cached" ]; then
  echo "promtool: extracting it from Debian's prometheus package"
  promtool_tmp=$(mktemp -d)
  (
    cd "$promtool_tmp" || exit 1
    { apt-get download -q prometheus >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 && apt-get download -q prometheus >/dev/null 2>&1; }; } &&
      dpkg-deb -x prometheus_*.deb extracted && mkdir -p "$(dirname "$promtool_cached")" &&
      cp extracted/usr/bin/promtool "$promtool_cached.part" && mv "$promtool_cached.part" "$promtool_cached"
  )
  rm -rf "$promtool_tmp"
fi
if command -v promtool >/dev/null 2>&1; then echo "promtool: $(promtool --version 2>&1 | head -1)"
elif [ -x "$promtool_cached" ]; then echo "promtool: $("$promtool_cached" --version 2>&1 | head -1) (.cache/promtool)"
else
  echo "promtool: MISSING (could not extract it from Debian's prometheus package: 'apt-get download prometheus' failed)" >&2
  failed+=(promtool)
fi
if [ "${#failed[@]}" -gt 0 ]; then
  echo "test services: NOT ready: ${failed[*]} (tests that need them would fail; see above)" >&2
  exit 1
fi
echo "test services: ready"
