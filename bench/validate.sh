#!/usr/bin/env bash
# Validation benchmark: times Phaseshift's full content comparison of source and target (the TEST
# phase's validation) on the reference data set of issue 5, next to a plain full scan of both sides
# in the same run. See docs/validation-benchmark.md.
#
#   bench/validate.sh [--scale 100] [--rows 4000000] [--runs 3] [--parallel 2]
#                     [--dir /var/tmp/phaseshift-validate] [--prepare-only] [--before] [--rate 500]
#                     [--ports 55462,55463]
#
# --rate N: pgbench's TPC-B-like writes at N transactions per second against the source (streamed
# to the target) for the whole timed part, with 20 s of it before the first measurement; the
# application's latency is reported per part (no other work, scans, validation) from pgbench's
# per-transaction log.
#
# --before also times, once, the validation as it was before (one session per side, one side after
# the other, rows hashed as text and summed as numeric).
#
# Its own two clusters (127.0.0.1:55462 and :55463) so it can run beside bench/run.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
scale=100
rows=4000000
runs=3
parallel=2
dir=/var/tmp/phaseshift-validate
prepare_only=false
before=false
rate=0
src_port=55462
dst_port=55463
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) scale="$2"; shift 2 ;;
    --rows) rows="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --parallel) parallel="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --prepare-only) prepare_only=true; shift ;;
    --before) before=true; shift ;;
    --rate) rate="$2"; shift 2 ;;
    --ports) src_port="${2%,*}"; dst_port="${2#*,}"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

# --- prerequisites: PostgreSQL 15 server and tools ---------------------------------------------
need=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
command -v pgbench >/dev/null || need+=(postgresql-contrib)
. "$here/lib.sh"
install_missing "${need[@]}"
export PATH="$bin:$PATH"

# --- two servers on loopback, identical settings -------------------------------------------------
start_reference_pair "$src_port" "$dst_port"

# --- the reference data set, as bench/run.sh builds it, then the same on the target ------------
marker="$dir/dataset-$scale-$rows"
if [ ! -f "$marker" ]; then
  log "creating the data set: pgbench scale $scale and $rows rows in bench_items"
  # A data set of another size is replaced; its subscription goes first, taking its slot with it.
  psql -X -q "${T[@]}" -d bench -c "DROP SUBSCRIPTION IF EXISTS phaseshift_bench_validate" >/dev/null 2>&1 || true
  load_reference_data "$scale" "$rows" "${S[@]}"
  copy_bench_to_target "$parallel"
  # The validator reads at a point the target has applied: a subscription (no initial copy, the
  # target already holds the rows) on the slot the plan's name implies keeps the target current.
  psql_s -c "CREATE PUBLICATION phaseshift_bench_validate FOR ALL TABLES"
  psql_t -c "CREATE SUBSCRIPTION phaseshift_bench_validate CONNECTION 'host=127.0.0.1 port=$src_port dbname=bench user=postgres' PUBLICATION phaseshift_bench_validate WITH (copy_data = false)"
  rm -f "$dir"/dataset-*
  touch "$marker"
fi
size=$(psql_s -Atc "SELECT pg_size_pretty(pg_database_size('bench'))")
heap=$(psql_s -Atc "SELECT pg_size_pretty(sum(pg_table_size(relid))) FROM pg_stat_user_tables")
log "source database: $size ($heap in tables, the rest indexes)"
$prepare_only && exit 0

# The launcher builds the jars first if the sources changed. The bench commands live in the bench
# module's jar, run directly here with this script's own JVM options.
"$repo/phaseshift" --version >/dev/null
jar="$repo/bench/target/phaseshift-bench.jar"
plan="$dir/validate-plan.yaml"
bench_validate_plan bench-validate "$plan" "$src_port" "$dst_port" "$parallel"

# CPU the two servers spent, in ms: a postmaster's children's times (fields 16 and 17 of its stat)
# grow by each backend's CPU when it exits, and every session below ends before it is read. Unlike
# the elapsed time it hardly depends on what else runs on the machine.
server_cpu_ms() {
  local ticks=0 s pid
  for s in source target; do
    pid=$(head -1 "$dir/$s/postmaster.pid")
    ticks=$((ticks + $(awk '{print $16 + $17}' "/proc/$pid/stat")))
  done
  echo $((ticks * 1000 / $(getconf CLK_TCK)))
}
load() { cut -d' ' -f1 /proc/loadavg; }
tables=$(psql_s -Atc "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables ORDER BY 1")

# Reference: every table counted on both sides at once, one session per side (the servers may use
# parallel workers for it, as they would for any query). Index scans are off: after VACUUM a
# count(*) is an index-only scan, which reads the primary key instead of the rows.
scan_side() { # port
  local t
  for t in $tables; do
    psql -X -q -At -h 127.0.0.1 -p "$1" -U postgres -d bench -c "SET enable_indexonlyscan = off" \
      -c "SET enable_indexscan = off" -c "SET enable_bitmapscan = off" -c "SELECT count(*) FROM $t" >/dev/null
  done
}
# What validation did before it was parallel and chunked, once, for comparison: one session per
# side, source then target, each table's rows rendered as text, hashed and summed as numeric.
sequential_side() { # port
  local t
  for t in $tables; do
    psql -X -q -At -h 127.0.0.1 -p "$1" -U postgres -d bench -c "SET max_parallel_workers_per_gather = 0" \
      -c "SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)::numeric), 0) FROM $t t" >/dev/null
  done
}
results="$dir/results.csv"
echo "run,method,millis,server_cpu_millis,load" >"$results"
windows="$dir/windows.csv"
echo "method,start_ms,end_ms" >"$windows"
record() { # run method millis cpu
  echo "$1,$2,$3,$4,$(load)" >>"$results"
  log "run $1: $2: $3 ms, servers' CPU $4 ms, load $(load)"
}
# The application: started once, stopped after the last measurement. pgbench writes its
# per-transaction log as it goes; what it has not flushed when stopped lies after the last window.
# (SIGTERM: a background job of a script ignores SIGINT.)
pgbench_pid=""
if [ "$rate" -gt 0 ]; then
  rm -f "$dir"/pgbench_log.*
  pgbench -n -h 127.0.0.1 -p "$src_port" -U postgres -R "$rate" -c 8 -j 2 -T 36000 -l \
    --log-prefix="$dir/pgbench_log" bench >"$dir/pgbench.out" 2>&1 &
  pgbench_pid=$!
  trap 'kill "$pgbench_pid" 2>/dev/null || true; stop_servers' EXIT
  sleep 5
  t0=$(now_ms); sleep 15; echo "no other work,$t0,$(now_ms)" >>"$windows"
fi
for ((r = 1; r <= runs; r++)); do
  sleep 0.3; c0=$(server_cpu_ms); t0=$(now_ms)
  scan_side "$src_port" & a=$!
  scan_side "$dst_port" & b=$!
  wait "$a"; wait "$b"
  t1=$(now_ms); sleep 0.3; c1=$(server_cpu_ms)
  record "$r" count-seqscan "$((t1 - t0))" "$((c1 - c0))"
  echo "sequential scans of both sides,$t0,$t1" >>"$windows"

  c0=$(server_cpu_ms); t0=$(now_ms)
  out=$(java -Xmx512m -jar "$jar" bench-validate "$plan" 2>"$dir/validate-last.log")
  echo "Phaseshift validation (with its JVM's start),$t0,$(now_ms)" >>"$windows"
  sleep 0.3; c1=$(server_cpu_ms)
  echo "$out" >>"$dir/validate-details.jsonl"
  ms=$(sed -n 's/^{"millis":\([0-9]*\).*/\1/p' <<<"$out")
  record "$r" phaseshift "$ms" "$((c1 - c0))"

  if [ "$r" -eq 1 ] && $before; then
    c0=$(server_cpu_ms); t0=$(now_ms)
    sequential_side "$src_port"
    sequential_side "$dst_port"
    t1=$(now_ms); sleep 0.3; c1=$(server_cpu_ms)
    record "$r" sequential-text-numeric "$((t1 - t0))" "$((c1 - c0))"
  fi
done

if [ -n "$pgbench_pid" ]; then
  t0=$(now_ms); sleep 15; echo "no other work,$t0,$(now_ms)" >>"$windows"
  sleep 2
  kill -TERM "$pgbench_pid" 2>/dev/null || true
  wait "$pgbench_pid" 2>/dev/null || true
  pgbench_pid=""
  python3 "$here/latency_windows.py" "$windows" "$dir"/pgbench_log.* | tee "$dir/latency.md" >&2
fi

# Localisation: one changed row on the target must show as one differing chunk of its table.
# (Without the load: the planted row must be the only difference.)
if [ "$runs" -gt 0 ]; then
  aid=$(( scale * 100000 / 2 + 17 ))
  psql_t -c "UPDATE pgbench_accounts SET filler = 'planted difference' WHERE aid = $aid"
  out=$(java -Xmx512m -jar "$jar" bench-validate "$plan" 2>>"$dir/validate-last.log" || true)
  psql_t -c "UPDATE pgbench_accounts a SET filler = (SELECT filler FROM pgbench_accounts WHERE aid = $aid - 1) WHERE aid = $aid"
  log "planted difference at aid $aid: $out"
  echo "$out" >>"$dir/validate-details.jsonl"
fi
log "source $size ($heap in tables); results in $results and $dir/validate-details.jsonl"
column -s, -t "$results" >&2
