#!/usr/bin/env python3
"""The application's latency per phase of a whole migration, from pgbench's per-transaction logs.

Usage: proof_load_report.py RUN_DIR TEST_EXIT_CODE FILLER_ROWS

Reads RUN_DIR/timeline.tsv (epoch ms, phase, step or wait: one line per change the migration's
status showed, plus QUIET before it starts, ROLLED_BACK once the first migration ended, phases
of the second migration prefixed "2nd ", and AFTER once it switched over) and RUN_DIR/shop-*
(pgbench -l of each back-to-back pgbench run: client, transaction, latency in us or a failure
kind, script, end time as epoch seconds and microseconds, schedule lag). A transaction belongs to
the timeline entry its end falls in; entries are grouped by phase and step with numbers left out,
so "copying 3 of 6" and "copying 4 of 6" are one row. With -R, pgbench measures latency from the
scheduled start, so any wait (a lock, a paused pool) shows in it.
"""
import re
import sys

from validate_load_report import percentile, transactions


def windows(run, last_ms):
    rows = []
    with open(run + "/timeline.tsv") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2:
                rows.append((int(parts[0]), parts[1], parts[2] if len(parts) > 2 else ""))
    out = []
    for i, (start, phase, step) in enumerate(rows):
        end = rows[i + 1][0] if i + 1 < len(rows) else last_ms + 1
        label = phase + (": " + re.sub(r"\d[\d.,]*", "N", step)[:70] if step else "")
        out.append((start, end, label))
    return out


def main():
    run, status, rows = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    txs = sorted((end, lat) for end, lat, _ in transactions(run + "/shop-*"))
    if not txs:
        print(f"no pgbench log in {run}; the run failed early (exit code {status}), see {run}/maven.log")
        return
    groups = {}
    order = []
    for start, end, label in windows(run, txs[-1][0]):
        if label not in groups:
            groups[label] = [0.0, [], 0]
            order.append(label)
        g = groups[label]
        g[0] += (end - start) / 1000.0
        for end_ms, lat in txs:
            if start <= end_ms < end:
                if lat is None:
                    g[2] += 1
                else:
                    g[1].append(lat)
    quiet = groups.get("QUIET: the application alone")
    q50, q99 = (percentile(quiet[1], 50), percentile(quiet[1], 99)) if quiet else (float("nan"), float("nan"))
    print("# The application through a whole migration, its rollback and the next migration\n")
    print(f"Shop workload (bench/proof-load.sh) through PgBouncer in transaction pooling at 150 transactions/s on"
          f" 8 clients, pgbench -R --max-tries=1; filler table of {rows} rows besides the shop. Latency in ms from"
          " each transaction's scheduled start; 'added' is against the quiet baseline before the migration.\n")
    print("| phase: step | seconds | transactions | failed | p50 | p99 | max | added p50 | added p99 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label in order:
        secs, lat, bad = groups[label]
        if not lat and not bad:
            continue
        p50, p99 = percentile(lat, 50), percentile(lat, 99)
        print(f"| {label} | {secs:.1f} | {len(lat) + bad} | {bad} | {p50:.1f} | {p99:.1f} |"
              f" {max(lat) if lat else float('nan'):.1f} | {p50 - q50:+.1f} | {p99 - q99:+.1f} |")
    failed = sum(1 for t in txs if t[1] is None)
    print(f"\n{len(txs)} transactions logged, {failed} failed; the test (pgbench's own reports, every acknowledged"
          f" order and payment on the primary at the end) exited {status}.")


if __name__ == "__main__":
    main()
