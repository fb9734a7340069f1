#!/usr/bin/env bash
# Times N databases moved one after another against the same N moved as one fleet (two workers,
# a real Temporal dev server, embedded PostgreSQL 15 on loopback) and writes the figures into
# docs/fleet-benchmark.md. Usage: bench/fleet.sh [DATABASES] [ROWS_PER_DATABASE] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/.."
databases=${1:-8}
rows=${2:-50000}
concurrency=${3:-4}
./mvnw -B -q -pl bench -am test -Dtest=FleetBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
  -Dphaseshift.fleetBench.databases="$databases" -Dphaseshift.fleetBench.rows="$rows" \
  -Dphaseshift.fleetBench.concurrency="$concurrency" >&2
figures=$(cat bench/target/fleet-benchmark.txt)
val() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$figures"; }
seq_ms=$(val sequential_ms)
fleet_ms=$(val fleet_ms)
cat > docs/fleet-benchmark.md <<MD
# A fleet against the same migrations one after another

\`bench/fleet.sh $databases $rows $concurrency\`, measured on $(date -u +%Y-%m-%d) on a machine with
$(val cpus) CPUs${SHARED_NOTE:+ ($SHARED_NOTE)}: $databases databases of $rows rows (about
$(( rows * 230 / 1024 / 1024 )) MiB each) on one embedded PostgreSQL 15 server, moved to another,
by two workers through \`temporal server start-dev\`, with the manual router (each connection switch
confirmed as soon as the migration asks for it; retention 1s).

| Run | Wall time |
|---|---|
| $databases migrations, one after another | $(( seq_ms / 1000 )).$(( seq_ms % 1000 / 100 )) s |
| one fleet: canary, then $(( databases - 1 )) at most $concurrency at once | $(( fleet_ms / 1000 )).$(( fleet_ms % 1000 / 100 )) s |

The fleet waits for its canary to end before the next wave, and learns of each migration's end at
its next reading (\`statusEvery: 2s\` here); the sequential run is driven by a client polling each
migration every 200 ms. Raw figures: \`$figures\`
MD
cat docs/fleet-benchmark.md
