#!/usr/bin/env python3
"""Where a benchmarked migration's time went, from its Temporal history (bench/run.sh).

   history_breakdown.py HISTORY.json REPORT.json CLI_LAUNCH_EPOCH_MS  ->  one JSON line

The engine's own work is the time at least one activity was executing; everything else inside a
phase is the price of running it as a workflow: an activity waiting to be picked up by the worker
(schedule-to-start), the workflow deciding what comes next (workflow tasks), and timers (waiting
for the lag to come down is polled). Activity start events are written with the attempt's start
time, so started-to-closed is the engine's time and scheduled-to-started the queue's.
"""
import json
import sys
from datetime import datetime

history_file, report_file, launched_ms = sys.argv[1], sys.argv[2], int(sys.argv[3])


def ms(stamp):
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000


events = json.load(open(history_file))["events"]
report = json.load(open(report_file))["report"]
phases = {p["phase"]: (ms(p["startedAt"]), ms(p["startedAt"]) + p["millis"]) for p in report["phases"]}

BACKGROUND = {"HoldSnapshotReplica"}
by_id = {int(e["eventId"]): e for e in events}
activities = []  # (type, scheduled, started, closed)
workflow_tasks = []  # (scheduled, completed)
for e in events:
    kind = e["eventType"]
    if kind in ("EVENT_TYPE_ACTIVITY_TASK_COMPLETED", "EVENT_TYPE_ACTIVITY_TASK_FAILED",
                "EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT", "EVENT_TYPE_ACTIVITY_TASK_CANCELED"):
        attrs = next(v for k, v in e.items() if k.endswith("EventAttributes"))
        scheduled = by_id[int(attrs["scheduledEventId"])]
        started = by_id.get(int(attrs.get("startedEventId") or 0))
        name = scheduled["activityTaskScheduledEventAttributes"]["activityType"]["name"]
        activities.append((name, ms(scheduled["eventTime"]),
                           ms(started["eventTime"]) if started else ms(e["eventTime"]), ms(e["eventTime"])))
    elif kind == "EVENT_TYPE_WORKFLOW_TASK_COMPLETED":
        attrs = e["workflowTaskCompletedEventAttributes"]
        workflow_tasks.append((ms(by_id[int(attrs["scheduledEventId"])]["eventTime"]), ms(e["eventTime"])))


def union(intervals, lo, hi):
    """Milliseconds of [lo, hi] covered by at least one interval."""
    total, end = 0.0, lo
    for a, b in sorted((max(a, lo), min(b, hi)) for a, b in intervals):
        if b <= end or b <= a:
            continue
        total += b - max(a, end)
        end = b
    return total


def phase_breakdown(phase):
    lo, hi = phases[phase]
    inside = [a for a in activities if a[1] >= lo - 1 and a[1] <= hi]
    # A snapshot replica is held beside the copy for as long as it runs: not a step anyone waits for.
    engine = union([(a[2], a[3]) for a in inside if a[0] not in BACKGROUND], lo, hi)
    per_type = {}
    for name in sorted({a[0] for a in inside} - BACKGROUND):
        runs = [a for a in inside if a[0] == name]
        per_type[name] = {"count": len(runs), "wallMillis": round(union([(a[2], a[3]) for a in runs], lo, hi)),
                          "queuedMillis": round(sum(a[2] - a[1] for a in runs))}
    tasks = [t for t in workflow_tasks if lo <= t[0] <= hi]
    return {"millis": round(hi - lo), "engineMillis": round(engine), "outsideEngineMillis": round(hi - lo - engine),
            "activities": len(inside),
            "queuedMillis": round(sum(a[2] - a[1] for a in inside if a[0] not in BACKGROUND)),
            "workflowTasks": len(tasks), "workflowTaskMillis": round(sum(b - a for a, b in tasks)),
            "byActivity": per_type}


started = ms(events[0]["eventTime"])
out = {"cliToWorkflowStartMillis": round(started - launched_ms), "historyEvents": len(events),
       "historyBytes": len(open(history_file, "rb").read())}
for phase in ("PREPARE", "MIGRATE", "TEST"):
    if phase in phases:
        out[phase] = phase_breakdown(phase)
print(json.dumps(out))
