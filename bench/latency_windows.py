#!/usr/bin/env python3
"""The application's latency while each kind of work ran (bench/validate.sh --rate).

   latency_windows.py WINDOWS.csv PGBENCH_LOG...  ->  a Markdown table on stdout

WINDOWS.csv has method,start_ms,end_ms rows (epoch ms); pgbench's per-transaction log lines are
"client transaction latency_us script epoch_s epoch_us [lag_us]", stamped when the transaction
ended. A transaction counts towards a window when it ended inside it. With --rate the latency is
measured from the transaction's scheduled start, so time spent waiting behind a slow server counts.
"""
import csv
import statistics
import sys

windows = list(csv.DictReader(open(sys.argv[1])))
done = []  # (end_ms, latency_ms, failed)
for path in sys.argv[2:]:
    for line in open(path, errors="replace"):
        f = line.split()
        if len(f) < 6:
            continue
        try:
            end = int(f[4]) * 1000 + int(f[5]) / 1000
        except ValueError:
            continue
        failed = not f[2].isdigit()
        done.append((end, 0.0 if failed else int(f[2]) / 1000, failed))


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


by_method = {}
for w in windows:
    lo, hi = int(w["start_ms"]), int(w["end_ms"])
    inside = [d for d in done if lo <= d[0] < hi]
    m = by_method.setdefault(w["method"], {"seconds": 0.0, "lat": [], "failed": 0})
    m["seconds"] += (hi - lo) / 1000
    m["lat"] += [d[1] for d in inside if not d[2]]
    m["failed"] += sum(1 for d in inside if d[2])
base = by_method.get("no other work")
print("| while | seconds | transactions | tps | p50 ms | p99 ms | max ms | p50 added | p99 added | failed |")
print("|---|---|---|---|---|---|---|---|---|---|")
for name, m in by_method.items():
    p50, p99 = pct(m["lat"], 0.5), pct(m["lat"], 0.99)
    added = ("", "") if base is None or m is base else (
        f"{p50 - pct(base['lat'], 0.5):+.1f}", f"{p99 - pct(base['lat'], 0.99):+.1f}")
    print(f"| {name} | {m['seconds']:.0f} | {len(m['lat'])} | {len(m['lat']) / max(m['seconds'], 0.001):.0f} |"
          f" {p50:.1f} | {p99:.1f} | {max(m['lat'], default=float('nan')):.1f} | {added[0]} | {added[1]} |"
          f" {m['failed']} |")
