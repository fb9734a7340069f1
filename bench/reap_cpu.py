#!/usr/bin/env python3
"""Runs a command as a child subreaper and writes the CPU time of the servers it left behind.

    reap_cpu.py OUT_FILE COMMAND [ARG...]

pg_ctl starts a postmaster and exits without waiting for it, so the postmaster is reparented and
its CPU time (with that of the backends it reaped) is never added to anyone's children's times:
pg_createsubscriber starts and stops the new cluster twice that way. Marked as a child subreaper,
this process inherits those orphans, waits for them and writes their CPU milliseconds (user plus
system) to OUT_FILE. The command's own time, and its waited-for tools', is not in the file: it
reaches the caller's children's times through this process as usual (and so do the orphans', which
the caller takes off again). Exits with the command's exit status.
"""
import ctypes
import os
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
# A server the command left running (it failed before stopping it) is waited for this long, then
# left to init: the command's failure is what the caller needs to hear about.
ORPHAN_GRACE_SECONDS = 30


def cpu_ms(usage):
    return int((usage.ru_utime + usage.ru_stime) * 1000)


def main():
    out, command = sys.argv[1], sys.argv[2:]
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("cannot become a child subreaper: errno %d" % ctypes.get_errno())
    child = subprocess.Popen(command)
    status, orphans_ms, deadline = None, 0, None
    while True:
        try:
            flags = 0 if deadline is None else os.WNOHANG
            pid, wait_status, usage = os.wait4(-1, flags)
        except ChildProcessError:
            break
        if pid == 0:
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
            continue
        if pid == child.pid:
            status = os.waitstatus_to_exitcode(wait_status)
            deadline = time.monotonic() + ORPHAN_GRACE_SECONDS
            # Popen must not wait for a child this loop already reaped.
            child.returncode = status
        else:
            orphans_ms += cpu_ms(usage)
    with open(out, "w") as f:
        f.write("%d\n" % orphans_ms)
    sys.exit(status if status is not None and status >= 0 else 1)


if __name__ == "__main__":
    main()
