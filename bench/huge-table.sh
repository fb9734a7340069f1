#!/usr/bin/env bash
# Huge table: the reference data set's 4M-row bench_items alone, through the real workflow, copied
# by one worker and by two workers polling the same task queue (its slices are activities any
# worker takes), alternating, medians. The copy's wall time comes from the workflow's history (first
# copy activity scheduled to last one closed), each worker's share from the identities that ran the
# slices; CPU-seconds of the source, the target and each worker over the copy. See docs/scale-out.md.
#
#   bench/huge-table.sh [--runs 3] [--parallel 2] [--dir /var/tmp/phaseshift-bench] [--ports 55432,55433]
#
# The data set is bench/run.sh's (created here if that directory has none).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
runs=3
parallel=2
dir=/var/tmp/phaseshift-bench
ports=55432,55433
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --parallel) parallel="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --ports) ports="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
"$here/run.sh" --prepare-only --dir "$dir" --ports "$ports"
. "$here/lib.sh"
export PATH="$bin:$PATH"
start_reference_pair "${ports%,*}" "${ports#*,}"
"$repo/phaseshift" --version >/dev/null

workers=()
trap 'stop_pids "${workers[@]}" ${temporal_pid:-}; stop_servers' EXIT
start_temporal "$(free_port)" "$dir/temporal-huge.log"
start_worker "$(free_port)" "$dir/worker-1.log" -Xmx1g
workers+=("$worker_pid")
cli=(env PHASESHIFT_SKIP_BUILD=1 "$repo/phaseshift")

# server_ticks, ms_of, stop_pids, migration_phase: lib.sh
process_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

results="$dir/huge-table.jsonl"
: >"$results"
for ((r = 1; r <= runs; r++)); do
  for n in 1 2; do
    # Two workers: a second JVM on the same queue, started before the run and stopped after it.
    if [ "$n" -eq 2 ] && [ ${#workers[@]} -eq 1 ]; then
      start_worker "$(free_port)" "$dir/worker-2.log" -Xmx1g
      workers+=("$worker_pid")
    elif [ "$n" -eq 1 ] && [ ${#workers[@]} -eq 2 ]; then
      kill "${workers[1]}"; wait "${workers[1]}" 2>/dev/null || true
      workers=("${workers[0]}")
    fi
    psql -X -q "${T[@]}" -d postgres -c "DROP DATABASE IF EXISTS bench WITH (FORCE)" -c "CREATE DATABASE bench"
    psql -X -q "${S[@]}" -d bench -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active" >/dev/null
    psql -X -q "${S[@]}" -d postgres -c CHECKPOINT
    name="huge-$r-$n"
    cat >"$dir/plan-$name.yaml" <<EOF
name: $name
source: {url: "jdbc:postgresql://${S[1]}:${S[3]}/bench", user: postgres}
target: {url: "jdbc:postgresql://${T[1]}:${T[3]}/bench", user: postgres}
tables: {include: [public.bench_items]}
copyParallelism: $parallel
approvalRequired: true
assessment: {sample: 0s}
EOF
    s0=$(server_ticks source); d0=$(server_ticks target)
    w0=(); for p in "${workers[@]}"; do w0+=("$(process_ticks "$p")"); done
    "${cli[@]}" migrate start "$dir/plan-$name.yaml" >/dev/null
    while :; do
      case "$(migration_phase "$name")" in
        PREPARE | MIGRATE | "") sleep 0.5 ;;
        FAILED | ABORTED) echo "$name failed; see $dir/worker-*.log" >&2; exit 1 ;;
        *) break ;;
      esac
    done
    s1=$(server_ticks source); d1=$(server_ticks target)
    wcpu=(); for i in "${!workers[@]}"; do wcpu+=($(( ($(process_ticks "${workers[i]}") - w0[i]) * 1000 / clk ))); done
    temporal workflow show --address "$TEMPORAL_ADDRESS" -w "migration-$name" -o json >"$dir/history-$name.json"
    "${cli[@]}" abort "$name" --as bench/huge-table.sh -m "timed until the change stream was attached" >/dev/null
    temporal workflow result --address "$TEMPORAL_ADDRESS" -w "migration-$name" >/dev/null 2>&1 || true
    python3 - "$dir/history-$name.json" "$n" "$(( (s1 - s0) * 1000 / clk ))" "$(( (d1 - d0) * 1000 / clk ))" \
        "${wcpu[*]}" >>"$results" <<'PY'
import json, sys
from datetime import datetime
events = json.load(open(sys.argv[1]))["events"]
ms = lambda e: datetime.fromisoformat(e["eventTime"].replace("Z", "+00:00")).timestamp() * 1000
by_id = {int(e["eventId"]): e for e in events}
copies, share = [], {}
for e in events:
    if e["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_COMPLETED":
        a = e["activityTaskCompletedEventAttributes"]
        scheduled = by_id[int(a["scheduledEventId"])]
        kind = scheduled["activityTaskScheduledEventAttributes"]["activityType"]["name"]
        if kind in ("CopyTable", "CopyTableSlice"):
            started = by_id[int(a["startedEventId"])]
            copies.append((ms(scheduled), ms(e)))
            who = started["activityTaskStartedEventAttributes"].get("identity", "?")
            share[who] = share.get(who, 0) + 1
print(json.dumps({"workers": int(sys.argv[2]), "copyMillis": round(max(c[1] for c in copies) - min(c[0] for c in copies)),
                  "activities": len(copies), "byWorker": share, "sourceCpuMs": int(sys.argv[3]),
                  "targetCpuMs": int(sys.argv[4]), "workerCpuMs": [int(x) for x in sys.argv[5].split()]}))
PY
    log "run $r, $n worker(s): $(tail -1 "$results")"
  done
done
python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("| workers | copy, s (each run) | median | source CPU s | target CPU s | workers' CPU s | slices per worker |")
print("|---|---|---|---|---|---|---|")
for n in (1, 2):
    rs = [r for r in rows if r["workers"] == n]
    med = lambda f: statistics.median(f(r) for r in rs)
    each = ", ".join("%.1f" % (r["copyMillis"] / 1000) for r in rs)
    print(f"| {n} | {each} | **{med(lambda r: r['copyMillis']) / 1000:.1f}** |"
          f" {med(lambda r: r['sourceCpuMs']) / 1000:.1f} | {med(lambda r: r['targetCpuMs']) / 1000:.1f} |"
          f" {med(lambda r: sum(r['workerCpuMs'])) / 1000:.1f} | {' / '.join(str(v) for v in rs[-1]['byWorker'].values())} |")
PY
