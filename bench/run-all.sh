#!/bin/sh
# Runs every benchmark in one session (about 73 minutes on 2 cores: 25 of them for the simulated year
# of history, 8 for OTLP push, 30 for the soak) and prints Markdown tables on stdout (progress on
# stderr). Needs Bun and wrk (Debian: apt-get install wrk). Traffic stays on 127.0.0.1; every script
# stops by itself within its own deadline.
#   sh bench/run-all.sh | tee /tmp/bench.md
#   HISTORY_DAYS=30 sh bench/run-all.sh    # a shorter history span (about 25 minutes less)
#   SOAK_MINUTES=0 sh bench/run-all.sh     # without the soak (SOAK_MINUTES=5: a shorter one)
set -eu
cd "$(dirname "$0")/.."
command -v wrk >/dev/null 2>&1 || { echo "run-all: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
echo "# Benchmark run $(date -u +%Y-%m-%dT%H:%M:%SZ), nproc $(nproc), Bun $(bun --version), $(uname -sr)"
echo
for script in calls refresh memory throughput otlp; do
  echo "run-all: bench/$script.ts" >&2
  bun run "bench/$script.ts"
  echo
done
echo "run-all: bench/history.ts --days ${HISTORY_DAYS:-365}" >&2
bun run bench/history.ts --days "${HISTORY_DAYS:-365}"
echo
# Last and on its own: the soak keeps one exporter under load for SOAK_MINUTES (default 30).
if [ "${SOAK_MINUTES:-30}" != 0 ]; then
  echo "run-all: bench/soak.ts --minutes ${SOAK_MINUTES:-30} (soak, takes that many minutes)" >&2
  bun run bench/soak.ts --minutes "${SOAK_MINUTES:-30}"
  echo
fi
