#!/bin/sh
# Runs the project on a machine that has only Node.js and npm: fetches the pinned Bun into .tools/
# (from the npm registry) when the right one is not on PATH, installs dependencies from bun.lock,
# then runs the exporter, the demo, the simulator, the tests, the type check, the linter, the
# formatter, the migration generator or the build of a standalone binary.
# Usage: scripts/dev.sh start|demo|sim|build|test|typecheck|lint|format|db:generate [args]
set -eu
cd "$(dirname "$0")/.."

want=$(node -p "require('./package.json').engines.bun")
if command -v bun >/dev/null 2>&1 && [ "$(bun --version)" = "$want" ]; then
  BUN=bun
else
  BUN=.tools/node_modules/.bin/bun
  if [ ! -x "$BUN" ] || [ "$("$BUN" --version 2>/dev/null)" != "$want" ]; then
    echo "dev.sh: installing Bun $want into .tools/ (npm registry)" >&2
    npm install --prefix .tools --no-save --no-audit --no-fund --loglevel=error "bun@$want" >&2
  fi
fi
# Quiet unless it fails: a start should not print install chatter every time.
if ! out=$("$BUN" install --frozen-lockfile 2>&1); then
  printf '%s\n' "$out" >&2
  echo "dev.sh: bun install --frozen-lockfile failed" >&2
  exit 1
fi

# A Debian package the tests need: installed when running as root, else how to install it is said.
# $1: the package; $2: what needs it.
install_package() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "dev.sh: installing Debian's $1 package for $2" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >&2
  else
    echo "dev.sh: $1 is not installed; $2 will fail." >&2
    echo "dev.sh: install it with: sudo apt-get install $1" >&2
  fi
}

# The integration tests drive a real Prometheus; Debian's package brings prometheus and promtool.
need_prometheus() {
  command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 && return 0
  install_package prometheus "the Prometheus integration test"
}

# The browser tests drive Debian's Chromium (at $CHROMIUM_PATH, default /usr/bin/chromium); never a downloaded one.
need_chromium() {
  [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] && return 0
  install_package chromium "the browser tests (test/browser; or set CHROMIUM_PATH to another Chromium)"
}

# The PostgreSQL tests (test/pg) start their own server from Debian's postgresql package (or $PG_BIN).
need_postgresql() {
  [ -n "${PG_BIN:-}" ] && return 0
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && return 0
  # The tests never use the package's own cluster: tell its installer not to create one.
  if [ "$(id -u)" = 0 ]; then
    mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/no-main-cluster.conf
  fi
  install_package postgresql "the PostgreSQL tests (test/pg; or set PG_BIN to a PostgreSQL bin folder)"
}

# The deployment files' checks: `docker-compose config` (Debian's docker-compose, no engine needed)
# and `systemd-analyze verify` (Debian's systemd).
need_deploy_tools() {
  command -v docker-compose >/dev/null 2>&1 || install_package docker-compose "the compose file's check (test/deploy)"
  command -v systemd-analyze >/dev/null 2>&1 || install_package systemd "the systemd unit's check (test/deploy)"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  start) exec "$BUN" run src/index.ts "$@" ;;
  demo) exec "$BUN" run src/demo.ts "$@" ;;
  sim) exec "$BUN" run src/sim/main.ts "$@" ;;
  # A standalone executable in dist/ (scripts/build.ts; --target=bun-linux-arm64 etc. to cross-compile).
  build) exec "$BUN" run scripts/build.ts "$@" ;;
  # Both schemas: SQLite's (drizzle.config.ts, migrations/) and PostgreSQL's (migrations/postgres/).
  db:generate)
    "$BUN" x --bun drizzle-kit generate "$@"
    exec "$BUN" x --bun drizzle-kit generate --config drizzle.postgres.config.ts "$@" ;;
  test) need_prometheus; need_chromium; need_postgresql; need_deploy_tools; exec "$BUN" test "$@" ;;
  typecheck) exec "$BUN" x tsc --noEmit -p . ;;
  lint) "$BUN" x tsc --noEmit -p . && exec "$BUN" x biome ci . ;;
  format) exec "$BUN" x biome check --write . ;;
  *) echo "usage: scripts/dev.sh start|demo|sim|build|test|typecheck|lint|format|db:generate [args]" >&2; exit 2 ;;
esac
