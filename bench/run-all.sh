#!/bin/sh
# Runs every benchmark in one session (about 75 minutes on 2 cores: 25 of them for the simulated year
# of history, 8 for OTLP push, 2 for replicas, 30 for the soak) and prints Markdown tables on stdout
# (progress on stderr). Needs Bun, wrk and PostgreSQL's server (Debian: apt-get install wrk
# postgresql; history --engine postgres and replicas start their own). Traffic stays on 127.0.0.1; every script
# stops by itself within its own deadline.
#   sh bench/run-all.sh | tee /tmp/bench.md
#   HISTORY_DAYS=30 sh bench/run-all.sh    # a shorter history span (about 25 minutes less)
#   SOAK_MINUTES=0 sh bench/run-all.sh     # without the soak (SOAK_MINUTES=5: a shorter one)
#   BENCH_QUICK=1 sh bench/run-all.sh      # every script in its shortest mode (about 3 minutes):
#                                          # shows that they run; its figures are noise, not results
set -eu
cd "$(dirname "$0")/.."
command -v wrk >/dev/null 2>&1 || { echo "run-all: wrk is not installed (apt-get install wrk)" >&2; exit 2; }

# The options of one script: the defaults, or with BENCH_QUICK=1 the quick mode listed in bench/README.md.
options() {
  if [ "${BENCH_QUICK:-0}" = 1 ]; then
    case $1 in
      refresh) echo "--runs 1" ;;
      builder) echo "--groups 1000,10000 --runs 1" ;;
      cls-lists) echo "--runs 1" ;;
      memory) echo "--runs 1 --idle-seconds 1 --steady-seconds 3" ;;
      throughput) echo "--rounds 1 --duration 1" ;;
      otlp) echo "--pushes 3 --rounds 1 --duration 1 --memory-seconds 10" ;;
      history) echo "--days 2 --requests 5 --restarts 1 --worst-days 2" ;;
      bombs) echo "--refreshes 1" ;;
      replicas) echo "--kills 2 --cache-ttl 4s --runs 1 --idle-seconds 1" ;;
      soak) echo "--minutes 1 --fault-every 10 --sample-every 10 --collector-up 20 --collector-down 10" ;;
    esac
    return
  fi
  case $1 in
    history) echo "--days ${HISTORY_DAYS:-365}" ;;
    soak) echo "--minutes ${SOAK_MINUTES:-30}" ;;
  esac
}

echo "# Benchmark run $(date -u +%Y-%m-%dT%H:%M:%SZ), nproc $(nproc), Bun $(bun --version), $(uname -sr)"
echo
for script in calls refresh builder cls-lists memory throughput otlp history bombs replicas; do
  echo "run-all: bench/$script.ts $(options $script)" >&2
  # Unquoted on purpose: the options are words without spaces.
  bun run "bench/$script.ts" $(options $script)
  echo
done
# Last and on its own: the soak keeps one exporter under load for SOAK_MINUTES (default 30).
if [ "${SOAK_MINUTES:-30}" != 0 ]; then
  echo "run-all: bench/soak.ts $(options soak) (soak, takes that many minutes)" >&2
  bun run bench/soak.ts $(options soak)
  echo
fi
