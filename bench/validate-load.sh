#!/usr/bin/env bash
# Validation under load: the shop application (activities/src/test/resources/appload: multi-table
# transactions in varying table order behind deferred foreign keys) runs through pgbench at a fixed
# rate against the source while Phaseshift validates again and again; pgbench's per-transaction
# log gives the application's latency with and without validation running, and its own report the
# failed transactions. See docs/validation-under-load.md.
#
#   bench/validate-load.sh [--orders 2000000] [--rate 150] [--phase 60] [--parallel 2]
#                          [--dir /var/tmp/phaseshift-validate-load] [--prepare-only]
#
# --phase: seconds of load without validation, then seconds of validations back to back.
# Its own two clusters (127.0.0.1:55464 and :55465) so it can run beside the other benchmarks.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
orders=2000000
rate=150
phase=60
parallel=2
dir=/var/tmp/phaseshift-validate-load
prepare_only=false
src_port=55464
dst_port=55465
while [ $# -gt 0 ]; do
  case "$1" in
    --orders) orders="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --phase) phase="$2"; shift 2 ;;
    --parallel) parallel="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --prepare-only) prepare_only=true; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

need=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
. "$here/lib.sh"
install_missing "${need[@]}"
export PATH="$bin:$PATH"
start_reference_pair "$src_port" "$dst_port"
appload="$repo/activities/src/test/resources/appload"

# --- the shop with a history of $orders orders, the same on the target, subscribed --------------
marker="$dir/shop-$orders"
if [ ! -f "$marker" ]; then
  log "creating the shop: $orders past orders with two lines each"
  psql -X -q "${T[@]}" -d bench -c "DROP SUBSCRIPTION IF EXISTS phaseshift_bench_validate_load" >/dev/null 2>&1 || true
  psql -X -q "${S[@]}" -d postgres -c "DROP DATABASE IF EXISTS bench WITH (FORCE)" -c "CREATE DATABASE bench"
  psql_s -f "$appload/schema.sql"
  psql_s <<SQL
INSERT INTO shop.orders (id, customer_id, status, total)
  SELECT nextval('shop.order_ids'), 1 + g % 10000, 'shipped', 10 + g % 90 FROM generate_series(1, $orders) g;
INSERT INTO shop.order_lines (order_id, line, sku, quantity)
  SELECT o.id, l, 1 + (o.id * 7 + l) % 1000, 1 + o.id % 5 FROM shop.orders o, generate_series(1, 2) l;
INSERT INTO shop.payments (order_id, amount) SELECT id, total FROM shop.orders WHERE id % 2 = 0;
VACUUM ANALYZE;
SQL
  copy_bench_to_target "$parallel"
  psql_s -c "CREATE PUBLICATION phaseshift_bench_validate_load FOR TABLES IN SCHEMA shop"
  psql_t -c "CREATE SUBSCRIPTION phaseshift_bench_validate_load CONNECTION 'host=127.0.0.1 port=$src_port dbname=bench user=postgres' PUBLICATION phaseshift_bench_validate_load WITH (copy_data = false)"
  rm -f "$dir"/shop-*
  touch "$marker"
fi
size=$(psql_s -Atc "SELECT pg_size_pretty(pg_database_size('bench'))")
log "source database: $size"
$prepare_only && exit 0

"$repo/phaseshift" --version >/dev/null
jar="$repo/bench/target/phaseshift-bench.jar"
plan="$dir/validate-load-plan.yaml"
bench_validate_plan bench-validate-load "$plan" "$src_port" "$dst_port" "$parallel"

# --- the application for two phases and a tail; validations in the second phase ---------------
run="$dir/run-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$run"
[ ${#as_pg[@]} -eq 0 ] || chown postgres "$run"
(
  cd "$run"
  exec pgbench -n -c 8 -j 2 -T $((2 * phase + 10)) -R "$rate" --max-tries=1 --failures-detailed \
    -l --log-prefix=shop "${S[@]}" \
    -f "$appload/order.sql@5" -f "$appload/payment.sql@3" -f "$appload/restock.sql@2" bench >"$run/pgbench.out" 2>&1
) &
bench_pid=$!
windows="$run/windows.csv"
echo "name,start_ms,end_ms" >"$windows"
start=$(now_ms)
sleep "$phase"
echo "no validation,$start,$(now_ms)" >>"$windows"
validating=$(now_ms)
n=0
while [ $(( $(now_ms) - validating )) -lt $((phase * 1000)) ]; do
  n=$((n + 1))
  t0=$(now_ms)
  out=$(java -Xmx512m -jar "$jar" bench-validate "$plan" 2>>"$run/validate.log" || true)
  t1=$(now_ms)
  echo "$out" >>"$run/validations.jsonl"
  echo "validation $n,$t0,$t1" >>"$windows"
  log "validation $n: $((t1 - t0)) ms: $(cut -c1-160 <<<"$out")"
done
echo "validating,$validating,$(now_ms)" >>"$windows"
status=0
wait "$bench_pid" || status=$?
log "pgbench exited with $status"
python3 "$here/validate_load_report.py" "$run" "$status" "$size" "$rate" | tee "$run/report.md"
