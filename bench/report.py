#!/usr/bin/env python3
"""Turns bench/run.sh's results into docs/benchmarks.md and docs/benchmarks.png (via gnuplot)."""
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import datetime, timezone

results, docs, scale, rows, size, size_bytes, parallel, details = sys.argv[1:9]
worker_file = sys.argv[9] if len(sys.argv) > 9 else ""
breakdown_file = sys.argv[10] if len(sys.argv) > 10 else ""
breakdowns = []
if breakdown_file and os.path.exists(breakdown_file):
    with open(breakdown_file) as f:
        breakdowns = [json.loads(line) for line in f if line.strip().startswith("{")]
worker = None
if worker_file and os.path.exists(worker_file):
    with open(worker_file) as f:
        worker = json.load(f)
os.makedirs(docs, exist_ok=True)

LABELS = {
    "phaseshift": "Phaseshift initial sync",
    "pgdump": f"pg_dump -Fd -j {parallel} -Z0 + pg_restore -j {parallel}",
    "native": "native logical replication (copy_data)",
    "raw": f"raw binary COPY, {parallel} streams, then indexes",
}
times = {}
cpu_seconds = {}  # method -> [(source, target, tools)]
with open(results) as f:
    for row in csv.DictReader(f):
        times.setdefault(row["method"], []).append(int(row["millis"]) / 1000.0)
        cpu_seconds.setdefault(row["method"], []).append(
            tuple(int(row[k]) / 1000.0 for k in ("source_cpu_ms", "target_cpu_ms", "tools_cpu_ms")))
median = {m: statistics.median(v) for m, v in times.items()}
median_cpu = {m: statistics.median(sum(c) for c in v) for m, v in cpu_seconds.items()}


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception:
        return ""


cpu = sh("lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1") or platform.processor()
cores = os.cpu_count()
mem_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
pg = sh("/usr/lib/postgresql/15/bin/postgres --version")
java = sh("java -version 2>&1 | head -1")
kernel = platform.release()
disk = sh(f"df -h {results} | tail -1 | awk '{{print $1\" (\"$2\")\"}}'")

ratios = [
    ("Phaseshift / raw parallel COPY + indexes, wall time", median["phaseshift"] / median["raw"], "at most 1.05"),
    ("Phaseshift / raw parallel COPY + indexes, CPU-seconds", median_cpu["phaseshift"] / median_cpu["raw"],
     "at most 1.05"),
    ("pg_dump+pg_restore / Phaseshift", median["pgdump"] / median["phaseshift"], "—"),
    ("native logical replication / Phaseshift", median["native"] / median["phaseshift"], "—"),
]
phases = []
with open(details) as f:
    for line in f:
        line = line.strip()
        if line.startswith("{"):
            phases.append(json.loads(line))
# The wall time includes starting the CLI's JVM; the workflow's own PREPARE + MIGRATE time does not.
inproc = [p["totalMillis"] / 1000.0 for p in phases if "totalMillis" in p]
if inproc:
    median_inproc = statistics.median(inproc)
    ratios.insert(1, ("Phaseshift in the workflow (PREPARE + MIGRATE, no CLI start) / raw parallel COPY + indexes",
                      median_inproc / median["raw"], "—"))
for name, value, goal in ratios:
    print(f"{name}: {value:.2f} (goal {goal})")
if worker:
    print(f"worker peak RSS over the runs: {worker['peakRssKib'] / 1024:.0f} MiB (goal under 1024)")

dat = os.path.join(docs, "benchmarks.dat")
png = os.path.join(docs, "benchmarks.png")
order = ["phaseshift", "raw", "pgdump", "native"]
with open(dat, "w") as f:
    for i, m in enumerate(order):
        f.write(f'{i} "{LABELS[m]}" {median[m]:.1f}\n')
gp = f"""
set terminal pngcairo size 900,420 font ',10' noenhanced
set output '{png}'
set title 'Initial sync of a {size} database (pgbench -s {scale} + {rows} rows), median of {len(times["phaseshift"])} runs'
set style fill solid 0.8
set boxwidth 0.6
set ylabel 'seconds (lower is better)'
set yrange [0:*]
set xtics rotate by -12
set grid ytics
unset key
plot '{dat}' using 1:3:xtic(2) with boxes lc rgb '#3b6ea8', '' using 1:3:(sprintf('%.1f s', $3)) with labels offset 0,0.8
"""
subprocess.run(["gnuplot"], input=gp, text=True, check=True)
os.remove(dat)

# The results file is written as the runs go: its time is when the last run ended.
now = datetime.fromtimestamp(os.path.getmtime(results), timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
md = [
    "# Initial sync benchmark",
    "",
    f"Measured {now} with `bench/run.sh --scale {scale} --rows {rows} --runs {len(times['phaseshift'])}"
    f" --parallel {parallel}` (see [bench/README.md](../bench/README.md)). Every figure below comes from"
    " that one run; the methods alternate, in a rotated order each round, against the same source.",
    "",
    "![initial sync times](benchmarks.png)",
] + (["", f"> {os.environ['BENCH_NOTE']}"] if os.environ.get("BENCH_NOTE") else []) + [
    "",
    "## Data set",
    "",
    f"pgbench at scale {scale} plus `bench_items` with {rows} rows (bigint primary key, 100-character"
    f" text, jsonb of about 100 bytes, indexed timestamptz): {size} ({size_bytes} bytes) on the source.",
    "",
    "## Results (seconds, from start until the target has every row and every index)",
    "",
    "| method | runs | median |",
    "|---|---|---|",
]
for m in order:
    md.append(f"| {LABELS[m]} | {', '.join(f'{v:.1f}' for v in times[m])} | **{median[m]:.1f}** |")
    if m == "phaseshift" and inproc:
        md.append(f"| Phaseshift, in the workflow: PREPARE + MIGRATE (same runs, without the CLI's start) |"
                  f" {', '.join(f'{v:.1f}' for v in inproc)} | {median_inproc:.1f} |")
md += ["", "## CPU time (seconds, medians)", "",
       "Wall time on a shared 2-core machine moves with its neighbours; CPU time moves much less, and"
       " with every method CPU-bound it is what the wall time is made of: no method can finish in less"
       f" than its CPU time divided by the {os.cpu_count()} cores.", "",
       "| method | source server | target server | tools (psql, pg_dump, pg_restore; for Phaseshift the CLI,"
       " the worker and the Temporal server) | total |"
       " total / raw |", "|---|---|---|---|---|---|"]
for m in order:
    parts = [statistics.median(c[i] for c in cpu_seconds[m]) for i in range(3)]
    md.append(f"| {LABELS[m]} | {parts[0]:.1f} | {parts[1]:.1f} | {parts[2]:.1f} | **{median_cpu[m]:.1f}** |"
              f" {median_cpu[m] / median_cpu['raw']:.2f} |")
md += ["", "| ratio (medians) | measured | goal (issue 15) |", "|---|---|---|"]
for name, value, goal in ratios:
    md.append(f"| {name} | {value:.2f} | {goal} |")
if worker:
    md.append(f"| `phaseshift worker` peak RSS over every run (the kernel's VmHWM), MiB |"
              f" {worker['peakRssKib'] / 1024:.0f} | under 1024 |")
if phases:
    md += ["", "Phaseshift's phases (each run, from the workflow's report): PREPARE / MIGRATE / TEST"
           " (validation, after the clock stopped), ms:", ""]
    for p in phases:
        md.append(f"- {p['prepareMillis']} / {p['migrateMillis']} / {p.get('testMillis')}"
                  f" ({p['tables']} tables, {p['rows']} rows, {p['bytes']} bytes of COPY data)")
    tests = [p["testMillis"] / 1000.0 for p in phases if p.get("testMillis")]
    if tests and inproc:
        md += ["", f"MIGRATE + TEST on the real path (PREPARE + MIGRATE + TEST in the workflow), median:"
               f" {statistics.median(t + i for t, i in zip(tests, inproc)):.1f} s."]
if breakdowns:
    def med(path):
        values = []
        for b in breakdowns:
            v = b
            for key in path:
                v = v.get(key, {}) if isinstance(v, dict) else {}
            if isinstance(v, (int, float)):
                values.append(v)
        return statistics.median(values) if values else 0
    md += ["", "## Where Phaseshift's time goes (medians over the runs, ms)", "",
           "From each run's Temporal history (`bench/history_breakdown.py`). *Engine* is the time at least one"
           " activity was executing, *outside the engine* the rest of the phase: activities waiting for the"
           " worker to pick them up (*queued*, summed over activities, so it may overlap), the workflow"
           " deciding what comes next (*workflow tasks*, summed) and waits. *CLI start* is from launching"
           " `phaseshift migrate start` to the workflow's first event: the CLI's JVM, reading and checking"
           " the plan, the start call.", "",
           "| | phase | engine | outside the engine | queued | workflow tasks | activities |",
           "|---|---|---|---|---|---|---|",
           f"| CLI start | {med(['cliToWorkflowStartMillis']):.0f} | | | | | |"]
    for phase in ("PREPARE", "MIGRATE", "TEST"):
        md.append(f"| {phase} | {med([phase, 'millis']):.0f} | {med([phase, 'engineMillis']):.0f} |"
                  f" {med([phase, 'outsideEngineMillis']):.0f} | {med([phase, 'queuedMillis']):.0f} |"
                  f" {med([phase, 'workflowTaskMillis']):.0f} ({med([phase, 'workflowTasks']):.0f}) |"
                  f" {med([phase, 'activities']):.0f} |")
    steps = sorted({(ph, a) for b in breakdowns for ph in ("PREPARE", "MIGRATE")
                    for a in b.get(ph, {}).get("byActivity", {})})
    md += ["", "Steps (activity types) of PREPARE and MIGRATE, wall time each covered, median ms:", "",
           "| phase | step | wall | count |", "|---|---|---|---|"]
    for ph, a in steps:
        md.append(f"| {ph} | {a} | {med([ph, 'byActivity', a, 'wallMillis']):.0f} |"
                  f" {med([ph, 'byActivity', a, 'count']):.0f} |")
    md.append(f"\nHistory per run: {med(['historyEvents']):.0f} events, {med(['historyBytes']) / 1024:.0f} KiB.")
md += [
    "",
    "## What each method does",
    "",
    "1. **Phaseshift**: the real workflow through a Temporal dev server and `phaseshift worker`, both"
    " started before the runs and kept for all of them. `phaseshift migrate start` starts a migration of"
    " the plan; PREPARE assesses both servers, MIGRATE creates the tables (pre-data), the replication"
    f" slot with its exported snapshot, copies every table as the workflow schedules it ({parallel} at"
    " once, small tables batched), builds indexes and constraints, and attaches the subscription to the"
    " slot. The clock starts when the CLI is launched and stops at the end of MIGRATE as the workflow"
    " recorded it; the run is then aborted (its undo is clean-up and not timed). So it includes starting"
    " the CLI's JVM (the workflow's own PREPARE + MIGRATE time is shown beside it). Each chunk's rows"
    " stream through the worker: JDBC `COPY (SELECT ... WHERE ctid range) TO STDOUT` on the exported"
    " snapshot, gathered into messages of `COPY FROM STDIN` on the target, committed with the chunk's"
    " bookkeeping row.",
    f"2. **pg_dump/pg_restore**: `pg_dump -Fd -j {parallel} -Z0` to local disk, then"
    f" `pg_restore -j {parallel}`.",
    "3. **Native logical replication**: schema (with indexes) restored from `pg_dump --schema-only`,"
    " then `CREATE SUBSCRIPTION ... WITH (copy_data = true)` until every `pg_subscription_rel` state is"
    " `r` (PostgreSQL's default `max_sync_workers_per_subscription = 2`).",
    f"4. **Raw parallel COPY**: pre-data schema, then {parallel} shell pipelines"
    " `psql -c 'COPY t TO STDOUT (FORMAT binary)' | psql -c 'COPY t FROM STDIN (FORMAT binary)'`"
    " (tables dealt largest first to the emptier stream), then `pg_dump --section=post-data | psql`"
    " on one session.",
    "",
    "## Machine and conditions",
    "",
    f"- CPU: {cpu}, {cores} cores; memory {mem_gib} GiB; disk {disk}; Linux {kernel}",
    f"- {pg}, both servers on this machine on 127.0.0.1, identical settings: shared_buffers 512MB,"
    " maintenance_work_mem 256MB, max_wal_size 8GB, fsync and synchronous_commit on, wal_level logical",
    f"- {java}; the worker runs with -Xmx1g and the JVM's defaults, the CLI with the launcher's options"
    " (`-XX:TieredStopAtLevel=1 -XX:+UseSerialGC`)",
    "- Source, target, the tools and Phaseshift share the same cores, so every method competes with"
    " the servers for CPU. The page cache is not dropped between runs (that needs privileges a"
    " container usually lacks); the rotation spreads its effect over the methods.",
]
with open(os.path.join(docs, "benchmarks.md"), "w") as f:
    f.write("\n".join(md) + "\n")
print(f"wrote {os.path.join(docs, 'benchmarks.md')} and {png}")
