#!/usr/bin/env bash
# Initial-sync benchmark: Phaseshift against pg_dump/pg_restore, native logical replication and
# raw parallel binary COPY, on one machine, alternating, medians of several runs. See bench/README.md.
#
#   bench/run.sh [--scale 100] [--rows 4000000] [--runs 3] [--parallel 2] [--dir /var/tmp/phaseshift-bench]
#                [--ports 55432,55433]  (source and target clusters on 127.0.0.1)
#                [--prepare-only]   (create the servers and the data set, then stop: nothing is timed)
#                [--methods phaseshift,raw]  (time only these; prints the medians, writes no report)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
scale=100
rows=4000000
runs=3
parallel=2
dir=/var/tmp/phaseshift-bench
src_port=55432
dst_port=55433
prepare_only=false
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) scale="$2"; shift 2 ;;
    --rows) rows="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --parallel) parallel="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --ports) src_port="${2%,*}"; dst_port="${2#*,}"; shift 2 ;;
    --prepare-only) prepare_only=true; shift ;;
    --methods) IFS=, read -r -a only <<<"$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

# --- prerequisites: PostgreSQL 15 server and tools, gnuplot for the chart -------------------------
need=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
command -v pgbench >/dev/null || need+=(postgresql-contrib)
command -v gnuplot >/dev/null || need+=(gnuplot-nox)
command -v python3 >/dev/null || need+=(python3)
command -v curl >/dev/null || need+=(curl)
. "$here/lib.sh"
install_missing "${need[@]}"
export PATH="$bin:$PATH"

# --- two servers on loopback, identical settings -------------------------------------------------
start_reference_pair "$src_port" "$dst_port"

# --- the reference data set (created once per scale and row count) -------------------------------
ensure_reference_data "$scale" "$rows"
size=$(psql_s -Atc "SELECT pg_size_pretty(pg_database_size('bench'))")
size_bytes=$(psql_s -Atc "SELECT pg_database_size('bench')")
log "source database: $size"
if $prepare_only; then exit 0; fi

# --- Phaseshift: the real workflow, through a Temporal dev server and a worker --------------------
# The launcher builds the jars first if the sources changed; here, so no timed run includes a build.
"$repo/phaseshift" --version >/dev/null
services=()
trap 'stop_pids "${services[@]}"; stop_servers' EXIT
# Both run for the whole benchmark, as they would in production: a migration does not wait for a
# worker to start. Their CPU counts towards the Phaseshift runs only (idle, they use very little).
start_temporal "$(free_port)" "$dir/temporal.log"
services+=("$temporal_pid")
log "Temporal dev server on $TEMPORAL_ADDRESS; starting phaseshift worker (-Xmx1g)"
start_worker "$(free_port)" "$dir/worker.log" -Xmx1g
services+=("$worker_pid")
cli=(env PHASESHIFT_SKIP_BUILD=1 "$repo/phaseshift")
plan="$dir/bench-plan.yaml"
# Sign-off required: the workflow waits before any freeze; each run is aborted once its stream is
# attached, and the abort undoes slot, publication and subscription.
cat >"$plan" <<EOF
name: bench
source:
  url: jdbc:postgresql://127.0.0.1:$src_port/bench
  user: postgres
target:
  url: jdbc:postgresql://127.0.0.1:$dst_port/bench
  user: postgres
copyParallelism: $parallel
approvalRequired: true
# The workload sample only waits (60 s by default, no CPU): the benchmark times the copy.
assessment: {sample: 0s}
EOF

fresh_target() {
  psql -X -q "${T[@]}" -d postgres -c "DROP DATABASE IF EXISTS bench WITH (FORCE)" -c "CREATE DATABASE bench"
  # Leftovers of an interrupted run would hold WAL on the source.
  psql -X -q "${S[@]}" -d bench -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active" >/dev/null
  psql -X -q "${S[@]}" -d bench -c "DROP PUBLICATION IF EXISTS bench_native" >/dev/null
  psql -X -q "${S[@]}" -d postgres -c CHECKPOINT
  psql -X -q "${T[@]}" -d postgres -c CHECKPOINT
}

# `phaseshift migrate start` of the plan (named per run), then a wait until the workflow has left
# MIGRATE: the tables are copied, the indexes built and the change stream attached. The status
# query is asked once every POLL seconds by a process of its own; those processes' CPU is counted
# apart (polls-ticks) and taken off the method's. The clock itself stops at the workflow's own
# record of that moment (see finish_phaseshift), not when a poll notices it.
POLL=0.5
run_phaseshift() {
  name="bench-$r"
  sed "s/^name: bench\$/name: $name/" "$plan" >"$dir/plan-$name.yaml"
  "${cli[@]}" migrate start "$dir/plan-$name.yaml" >/dev/null
  (
    while :; do
      phase=$(migration_phase "$name")
      case "$phase" in
        PREPARE | MIGRATE | "") sleep "$POLL" ;;
        FAILED | ABORTED) echo "migration-$name ended in $phase; see $dir/worker.log" >&2; exit 1 ;;
        *) break ;;
      esac
    done
    awk '{print $16 + $17}' "/proc/$BASHPID/stat" >"$dir/polls-ticks"
  )
}

# After the CPU figures are read: abort (its undo drops slot, publication and subscription), wait
# for the workflow to end, and take the phases' times from its report: the stream was attached
# when MIGRATE ended, MIGRATE's start plus its duration on the workflow's clock.
finish_phaseshift() {
  # TEST runs on after the clock stopped and is reported apart; the workflow then waits for sign-off.
  while :; do
    phase=$(migration_phase "$name")
    case "$phase" in
      MIGRATE | TEST) sleep "$POLL" ;;
      *) break ;;
    esac
  done
  temporal workflow show --address "$TEMPORAL_ADDRESS" -w "migration-$name" -o json >"$dir/history-$name.json"
  "${cli[@]}" abort "$name" --as bench/run.sh -m "timed until the change stream was attached" >/dev/null
  temporal workflow result --address "$TEMPORAL_ADDRESS" -w "migration-$name" >/dev/null 2>&1 || true
  "${cli[@]}" report "$name" --output json >"$dir/report-$name.json" || true
  python3 - "$dir/report-$name.json" "$dir/phaseshift-attached-ms" "$(awk '/^VmHWM/ {print $2}' "/proc/$worker_pid/status")" \
      >>"$dir/phaseshift-details.jsonl" <<'PY2'
import json, sys
from datetime import datetime
report = json.load(open(sys.argv[1]))["report"]
phases = {p["phase"]: p for p in report["phases"]}
migrate = phases["MIGRATE"]
started = datetime.fromisoformat(migrate["startedAt"].replace("Z", "+00:00")).timestamp() * 1000
open(sys.argv[2], "w").write(str(int(started) + migrate["millis"]))
totals = report.get("copyTotals") or {}
print(json.dumps({"totalMillis": phases["PREPARE"]["millis"] + migrate["millis"],
                  "prepareMillis": phases["PREPARE"]["millis"], "migrateMillis": migrate["millis"],
                  "testMillis": phases.get("TEST", {}).get("millis"),
                  "tables": totals.get("tables"), "rows": totals.get("rows"), "bytes": totals.get("bytes"),
                  "workerPeakRssKib": int(sys.argv[3])}))
PY2
  python3 "$here/history_breakdown.py" "$dir/history-$name.json" "$dir/report-$name.json" "$t0" \
    >>"$dir/phaseshift-breakdown.jsonl"
}

run_pgdump() {
  rm -rf "$dir/dump"
  pg_dump "${S[@]}" -d bench -Fd -j "$parallel" -Z0 -f "$dir/dump"
  pg_restore "${T[@]}" -d bench -j "$parallel" "$dir/dump"
}

run_native() {
  pg_dump "${S[@]}" -d bench --schema-only | psql_t >/dev/null
  psql_s -c "CREATE PUBLICATION bench_native FOR ALL TABLES"
  psql_t -c "CREATE SUBSCRIPTION bench_native CONNECTION 'host=127.0.0.1 port=$src_port dbname=bench user=postgres' PUBLICATION bench_native WITH (copy_data = true)"
  local tables
  tables=$(psql_s -Atc "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'bench_native'")
  while [ "$(psql_t -Atc "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate = 'r'")" != "$tables" ]; do
    sleep 0.2
  done
}

cleanup_native() {
  psql_t -c "ALTER SUBSCRIPTION bench_native DISABLE" -c "DROP SUBSCRIPTION bench_native" >/dev/null 2>&1 || true
  psql_s -c "DROP PUBLICATION IF EXISTS bench_native" >/dev/null
}

run_raw() {
  pg_dump "${S[@]}" -d bench --schema-only --section=pre-data | psql_t >/dev/null
  # Tables largest first, dealt to the emptier of the streams.
  local -a stream_tables=() stream_bytes=()
  local i
  for ((i = 0; i < parallel; i++)); do stream_tables[i]=""; stream_bytes[i]=0; done
  while IFS='|' read -r name bytes; do
    local best=0
    for ((i = 1; i < parallel; i++)); do
      [ "${stream_bytes[i]}" -lt "${stream_bytes[best]}" ] && best=$i
    done
    stream_tables[best]+="$name "
    stream_bytes[best]=$((stream_bytes[best] + bytes))
  done < <(psql_s -Atc "SELECT format('%I.%I', schemaname, relname), pg_relation_size(relid)
                         FROM pg_stat_user_tables ORDER BY 2 DESC")
  local -a pids=()
  for ((i = 0; i < parallel; i++)); do
    (
      for t in ${stream_tables[i]}; do
        psql -X -q "${S[@]}" -d bench -c "COPY $t TO STDOUT (FORMAT binary)" \
          | psql -X -q -v ON_ERROR_STOP=1 "${T[@]}" -d bench -c "COPY $t FROM STDIN (FORMAT binary)"
      done
    ) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  pg_dump "${S[@]}" -d bench --schema-only --section=post-data | psql_t >/dev/null
}

# CPU time (server_ticks, tool_ticks: lib.sh); for Phaseshift also the worker and the Temporal server.
service_ticks() { cat "/proc/$worker_pid/stat" "/proc/$temporal_pid/stat" | awk '{s += $14 + $15} END {print s}'; }

results="$dir/results.csv"
echo "run,method,millis,source_cpu_ms,target_cpu_ms,tools_cpu_ms" >"$results"
: >"$dir/phaseshift-details.jsonl"
: >"$dir/phaseshift-breakdown.jsonl"
methods=(phaseshift pgdump native raw)
if [ -n "${only[*]:-}" ]; then methods=("${only[@]}"); fi
for ((r = 1; r <= runs; r++)); do
  # Rotate the order each run so no method always goes first (cold caches) or last.
  for ((k = 0; k < ${#methods[@]}; k++)); do
    m=${methods[(k + r - 1) % ${#methods[@]}]}
    fresh_target
    log "run $r: $m"
    s0=$(server_ticks source); d0=$(server_ticks target); c0=$(tool_ticks)
    [ "$m" != phaseshift ] || c0=$((c0 + $(service_ticks)))
    t0=$(now_ms)
    "run_$m"
    t1=$(now_ms)
    s1=$(server_ticks source); d1=$(server_ticks target); c1=$(tool_ticks)
    if [ "$m" = phaseshift ]; then
      c1=$((c1 + $(service_ticks) - $(cat "$dir/polls-ticks")))
      finish_phaseshift
      t1=$(cat "$dir/phaseshift-attached-ms")
    fi
    [ "$m" != native ] || cleanup_native
    # Every method must leave the same rows behind.
    got=$(psql_t -Atc "SELECT (SELECT count(*) FROM pgbench_accounts) + (SELECT count(*) FROM bench_items)")
    want=$(psql_s -Atc "SELECT (SELECT count(*) FROM pgbench_accounts) + (SELECT count(*) FROM bench_items)")
    [ "$got" = "$want" ] || { echo "$m left $got rows, source has $want" >&2; exit 1; }
    log "run $r: $m took $((t1 - t0)) ms"
    echo "$r,$m,$((t1 - t0)),$(ms_of $((s1 - s0))),$(ms_of $((d1 - d0))),$(ms_of $((c1 - c0)))" >>"$results"
  done
done
fresh_target

# The worker's peak resident set over every run (the kernel's VmHWM), read before it stops.
worker_figures="$dir/worker.json"
printf '{"peakRssKib": %s}\n' "$(awk '/^VmHWM/ {print $2}' "/proc/$worker_pid/status")" >"$worker_figures"

if [ ${#methods[@]} -ne 4 ]; then
  python3 - "$results" <<'PY'
import csv, statistics, sys
by, cpu = {}, {}
for row in csv.DictReader(open(sys.argv[1])):
    by.setdefault(row["method"], []).append(int(row["millis"]))
    cpu.setdefault(row["method"], []).append(sum(int(row[k]) for k in ("source_cpu_ms", "target_cpu_ms", "tools_cpu_ms")))
for m, v in by.items():
    print(f"{m}: median {statistics.median(v) / 1000:.1f} s of {', '.join(f'{x / 1000:.1f}' for x in v)};"
          f" CPU median {statistics.median(cpu[m]) / 1000:.1f} s")
PY
  log "a subset of the methods ran: no report written"
  exit 0
fi

# BENCH_NOTE, if set, goes into docs/benchmarks.md verbatim (for example what else loaded the machine).
python3 "$here/report.py" "$results" "$repo/docs" "$scale" "$rows" "$size" "$size_bytes" "$parallel" "$dir/phaseshift-details.jsonl" "$worker_figures" "$dir/phaseshift-breakdown.jsonl"
