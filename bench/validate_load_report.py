#!/usr/bin/env python3
"""Added application latency while validating, from pgbench's per-transaction log.

Usage: validate_load_report.py RUN_DIR PGBENCH_EXIT_CODE SOURCE_SIZE RATE

Reads RUN_DIR/shop.* (pgbench -l: client, transaction, latency in us or a failure kind, script,
end time as epoch seconds and microseconds, schedule lag), RUN_DIR/windows.csv (named time
windows in epoch ms) and RUN_DIR/pgbench.out (pgbench's own report). A transaction belongs to the
window its end falls in. With -R, pgbench measures latency from the scheduled start, so a wait
anywhere (a lock, a full connection pool) shows in it.
"""
import csv
import glob
import json
import re
import sys


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100.0 * len(values) + 0.5)) - 1))
    return values[k]


def transactions(pattern):
    """(end_ms, latency_ms or None when failed, kind) of every transaction in the logs matching pattern."""
    txs = []
    for path in glob.glob(pattern):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) < 6:
                    continue
                end_ms = int(parts[4]) * 1000 + int(parts[5]) / 1000.0
                if parts[2].isdigit():
                    txs.append((end_ms, int(parts[2]) / 1000.0, "ok"))
                else:
                    txs.append((end_ms, None, parts[2]))
    return txs


def main():
    run, status, size, rate = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    txs = transactions(run + "/shop.*")
    with open(run + "/windows.csv") as f:
        windows = list(csv.DictReader(f))
    out = open(run + "/pgbench.out").read()
    failed = re.search(r"number of failed transactions: (\d+)", out)
    validations = []
    try:
        with open(run + "/validations.jsonl") as f:
            validations = [json.loads(l) for l in f if l.strip().startswith("{")]
    except FileNotFoundError:
        pass

    print("# Validation under load\n")
    print(f"Source database {size}; the shop workload at {rate} transactions/s on 8 clients (pgbench -R,"
          " --max-tries=1); latency from each transaction's scheduled start, in ms.\n")
    print("| window | seconds | transactions | failed | p50 | p99 | max |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    summary = {}
    for w in windows:
        if w["name"].startswith("validation "):
            continue
        lo, hi = float(w["start_ms"]), float(w["end_ms"])
        inside = [t for t in txs if lo <= t[0] < hi]
        lat = [t[1] for t in inside if t[1] is not None]
        bad = sum(1 for t in inside if t[1] is None)
        summary[w["name"]] = (percentile(lat, 50), percentile(lat, 99))
        print(f"| {w['name']} | {(hi - lo) / 1000:.0f} | {len(inside)} | {bad} | {percentile(lat, 50):.1f} |"
              f" {percentile(lat, 99):.1f} | {max(lat) if lat else float('nan'):.1f} |")
    if "no validation" in summary and "validating" in summary:
        (b50, b99), (v50, v99) = summary["no validation"], summary["validating"]
        print(f"\nAdded by validating: p50 {v50 - b50:+.1f} ms, p99 {v99 - b99:+.1f} ms.")
    passed = sum(1 for v in validations if v.get("passed"))
    millis = sorted(v.get("wallMillis", 0) for v in validations)
    print(f"\n{len(validations)} validations, {passed} passed"
          + (f", median {millis[len(millis) // 2] / 1000:.1f} s each" if millis else "") + ".")
    print(f"\npgbench: exit code {status}, failed transactions: {failed.group(1) if failed else 'unknown'}"
          + (", a client aborted" if "aborted" in out else "") + ".")


if __name__ == "__main__":
    main()
