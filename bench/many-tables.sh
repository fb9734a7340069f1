#!/usr/bin/env bash
# Scale harness (issue 5): a schema of many small tables, migrated for real through a Temporal dev
# server, a Phaseshift worker and the CLI. Reports how long assessment and copy took and how large
# the workflow history grew (events and bytes), next to Temporal's limits (51,200 events, 50 MB).
#
#   bench/many-tables.sh [--tables 10000] [--rows 10] [--parallel 4] [--dir /var/tmp/phaseshift-many]
#                        [--ports 55452,55453] [--temporal-port 7453] [--worker-port 18453] [--out FILE] [--dataset-only]
#
# Everything binds to 127.0.0.1 and is stopped on exit. The figures go to stdout as JSON and, with
# --out, to that file; docs/scale-benchmark.md records a run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
tables=10000
rows=10
parallel=4
dir=/var/tmp/phaseshift-many
src_port=55452
dst_port=55453
temporal_port=7453
worker_port=18453
out=""
dataset_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --tables) tables="$2"; shift 2 ;;
    --rows) rows="$2"; shift 2 ;;
    --parallel) parallel="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --ports) src_port="${2%,*}"; dst_port="${2#*,}"; shift 2 ;;
    --temporal-port) temporal_port="$2"; shift 2 ;;
    --worker-port) worker_port="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --dataset-only) dataset_only=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

. "$here/lib.sh"
[ -x "$bin/initdb" ] || { echo "needs PostgreSQL 15 server binaries in $bin (apt-get install postgresql-15)" >&2; exit 1; }
command -v temporal >/dev/null || { echo "needs the temporal CLI on PATH (temporal server start-dev)" >&2; exit 1; }
export PATH="$bin:$PATH"


pids=()
# Dumping and validating lock every table in one transaction: the lock table must hold
# max_locks_per_transaction x max_connections >= the table count (the assessment checks it), with
# room for the indexes and TOAST tables the same transaction touches.
locks=$(( (tables * 2 / 100 + 511) / 512 * 512 ))
[ "$locks" -ge 512 ] || locks=512
SETTINGS=("max_locks_per_transaction = $locks" "shared_buffers = 256MB" "max_wal_size = 4GB")
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for s in source target; do
    # A walsender still serving a subscription can hold a fast shutdown up; the data set is
    # rebuilt from the marker anyway, so an immediate stop is fine after a minute.
    stop_server "$s" -m fast -t 60 2>/dev/null || stop_server "$s" -m immediate || true
  done
}
prepare_dir
trap cleanup EXIT
start_server source "$src_port" "${SETTINGS[@]}"
start_server target "$dst_port" "${SETTINGS[@]}"

S=(-h 127.0.0.1 -p "$src_port" -U postgres)
T=(-h 127.0.0.1 -p "$dst_port" -U postgres)

marker="$dir/dataset-$tables-$rows"
if [ ! -f "$marker" ]; then
  log "creating $tables tables of $rows rows on the source"
  psql -X -q "${S[@]}" -d postgres -c "DROP DATABASE IF EXISTS many WITH (FORCE)" -c "CREATE DATABASE many"
  # A commit every 500 tables keeps each transaction's locks well inside the lock table. Names are
  # zero-padded to the width of the largest number (lpad truncates longer strings).
  width=$(( ${#tables} > 5 ? ${#tables} : 5 ))
  psql -X -q -v ON_ERROR_STOP=1 "${S[@]}" -d many <<SQL
DO \$\$
BEGIN
  FOR i IN 1..$tables LOOP
    EXECUTE format('CREATE TABLE public.%I (id int PRIMARY KEY, label text NOT NULL, at timestamptz NOT NULL)',
                   'item_' || lpad(i::text, $width, '0'));
    EXECUTE format('INSERT INTO public.%I SELECT g, md5(g::text), timestamptz ''2024-01-01 00:00:00+00'' + g * interval ''1 minute'''
                   ' FROM generate_series(1, $rows) g', 'item_' || lpad(i::text, $width, '0'));
    IF i % 500 = 0 THEN COMMIT; END IF;
  END LOOP;
END
\$\$;
VACUUM ANALYZE;
SQL
  rm -f "$dir"/dataset-*
  touch "$marker"
fi
[ "$dataset_only" -eq 0 ] || exit 0
# Every run starts from an empty target and a source as it was before the previous run: writable
# again (a switchover leaves the old database read-only) and without its replication objects.
psql -X -q "${S[@]}" -d postgres -c "ALTER DATABASE many RESET default_transaction_read_only"
psql -X -q "${T[@]}" -d postgres -c "DROP DATABASE IF EXISTS many WITH (FORCE)" -c "CREATE DATABASE many"
for sub in $(psql -X -At "${S[@]}" -d many -c "SELECT subname FROM pg_subscription"); do
  psql -X -q "${S[@]}" -d many -c "ALTER SUBSCRIPTION \"$sub\" DISABLE" -c "ALTER SUBSCRIPTION \"$sub\" SET (slot_name = NONE)" -c "DROP SUBSCRIPTION \"$sub\""
done
psql -X -q "${S[@]}" -d many -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active" >/dev/null
for pub in $(psql -X -At "${S[@]}" -d many -c "SELECT pubname FROM pg_publication"); do
  psql -X -q "${S[@]}" -d many -c "DROP PUBLICATION \"$pub\""
done
psql -X -q "${S[@]}" -d many -c "DROP SCHEMA IF EXISTS phaseshift CASCADE" 2>/dev/null || true
log "source: $(psql -X -At "${S[@]}" -d many -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") tables,"\
" $(psql -X -At "${S[@]}" -d many -c "SELECT pg_size_pretty(pg_database_size('many'))")"

# The launcher builds the jars first if the sources changed.
"$repo/phaseshift" --version >/dev/null
cli_jar="$repo/starter/target/phaseshift-cli.jar"

log "starting Temporal (dev server) on 127.0.0.1:$temporal_port"
start_temporal "$temporal_port" "$dir/temporal.log"
pids+=("$temporal_pid")

log "starting a Phaseshift worker"
start_worker "$worker_port" "$dir/worker.log" -Xmx2g
pids+=("$worker_pid")

plan="$dir/many-plan.yaml"
cat >"$plan" <<EOF
name: many
source:
  url: jdbc:postgresql://127.0.0.1:$src_port/many
  user: postgres
target:
  url: jdbc:postgresql://127.0.0.1:$dst_port/many
  user: postgres
copyParallelism: $parallel
approvalRequired: false
retention: 10s
# The scale is the subject: no minute of workload sampling, no verification window.
assessment: {sample: 0s}
verification: {window: 0s}
EOF
workflow_id=migration-many
temporal workflow terminate --address "$TEMPORAL_ADDRESS" -w "$workflow_id" >/dev/null 2>&1 || true

log "migrating $tables tables"
started=$(now_ms)
java -jar "$cli_jar" migrate start "$plan" >&2
# The plan uses the manual router and nothing connects to these servers, so the connection switch
# is confirmed up front; the workflow goes on through it without waiting.
temporal workflow signal --address "$TEMPORAL_ADDRESS" -w "$workflow_id" --name connectionSwitched \
  --input '{"by": "many-tables.sh", "comment": "no application to move"}' >/dev/null
temporal workflow result --address "$TEMPORAL_ADDRESS" -w "$workflow_id" >/dev/null 2>&1 || true
finished=$(now_ms)
temporal workflow show --address "$TEMPORAL_ADDRESS" -w "$workflow_id" --output json >"$dir/history.json"
temporal workflow describe --address "$TEMPORAL_ADDRESS" -w "$workflow_id" --output json >"$dir/describe.json"
java -jar "$cli_jar" report many >"$dir/report.md" 2>&1 || true

python3 - "$dir/history.json" "$dir/describe.json" "$tables" "$rows" "$parallel" "$((finished - started))" <<'PY' | tee ${out:+"$out"}
import base64, json, sys
from datetime import datetime

history_file, describe_file, tables, rows, parallel, wall = sys.argv[1:7]
history = json.load(open(history_file))
events = history["events"]
describe = json.load(open(describe_file))
info = describe.get("workflowExecutionInfo", describe)

def ts(text):
    # RFC 3339 with nanoseconds; Python wants at most microseconds.
    head, _, frac = text.rstrip("Z").partition(".")
    return datetime.fromisoformat(head + "." + (frac + "000000")[:6]).timestamp()

def payload_json(p):
    data = p.get("data")
    if isinstance(data, str):
        try:
            return json.loads(base64.b64decode(data))
        except Exception:
            return json.loads(data)
    return data

scheduled, started, activity = {}, {}, {}
for e in events:
    eid = str(e["eventId"])
    if "activityTaskScheduledEventAttributes" in e:
        scheduled[eid] = e["activityTaskScheduledEventAttributes"]["activityType"]["name"]
    elif "activityTaskStartedEventAttributes" in e:
        started[str(e["activityTaskStartedEventAttributes"]["scheduledEventId"])] = ts(e["eventTime"])
    elif "activityTaskCompletedEventAttributes" in e:
        a = e["activityTaskCompletedEventAttributes"]
        sid = str(a["scheduledEventId"])
        kind = scheduled[sid]
        stats = activity.setdefault(kind, {"count": 0, "seconds": 0.0, "largestResultBytes": 0})
        stats["count"] += 1
        stats["seconds"] += ts(e["eventTime"]) - started.get(sid, ts(e["eventTime"]))
        size = len(json.dumps(a.get("result", {})))
        stats["largestResultBytes"] = max(stats["largestResultBytes"], size)

outcome, phases, report = None, {}, None
last = events[-1]
if "workflowExecutionCompletedEventAttributes" in last:
    report = payload_json(last["workflowExecutionCompletedEventAttributes"]["result"]["payloads"][0])
    outcome = report["outcome"]
    phases = {p["phase"]: round(p["millis"] / 1000.0, 1) for p in report["phases"]}
else:
    outcome = next(k for k in last if k.endswith("EventAttributes"))

largest_event = max(len(json.dumps(e)) for e in events)

def payload_sizes(node, where):
    # Every payload of the history (inputs, results, failure details, heartbeats), decoded size.
    if isinstance(node, dict):
        for p in node.get("payloads", []) if isinstance(node.get("payloads"), list) else []:
            data = p.get("data", "")
            yield (len(base64.b64decode(data)) if isinstance(data, str) else len(json.dumps(data)), where)
        for k, v in node.items():
            if k != "payloads":
                yield from payload_sizes(v, where)
    elif isinstance(node, list):
        for v in node:
            yield from payload_sizes(v, where)

def event_kind(e):
    kind = next((k for k in e if k.endswith("EventAttributes")), "?")
    a = e.get("activityTaskScheduledEventAttributes")
    if a:
        return kind + " " + a["activityType"]["name"]
    done = e.get("activityTaskCompletedEventAttributes")
    return kind + (" " + scheduled.get(str(done["scheduledEventId"]), "?") if done else "")

largest_payload = max((max(payload_sizes(e, event_kind(e)), default=(0, "?")) for e in events), default=(0, "?"))
result = {
    "tables": int(tables), "rowsPerTable": int(rows), "copyParallelism": int(parallel),
    "outcome": outcome,
    "wallSeconds": round(int(wall) / 1000.0, 1),
    "phaseSeconds": phases,
    "activities": {k: {"count": v["count"], "seconds": round(v["seconds"], 1), "largestResultJsonBytes": v["largestResultBytes"]}
                   for k, v in sorted(activity.items())},
    "historyEvents": int(info.get("historyLength", len(events))),
    "historySizeBytes": int(info.get("historySizeBytes", 0)),
    "historyJsonBytes": len(json.dumps(history)),
    "largestEventJsonBytes": largest_event,
    "largestPayloadBytes": largest_payload[0],
    "largestPayloadIn": largest_payload[1],
    "tablesCopied": report and report.get("copyTotals", {}).get("tables"),
    "copyActivities": report and report.get("copyTotals", {}).get("activities"),
}
print(json.dumps(result, indent=2))
PY
