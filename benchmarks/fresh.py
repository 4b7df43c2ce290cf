"""Runs timed in a fresh Python process, as a user's command runs: nothing imported, no worker pool or model
warm from an earlier run. The child prints one JSON line; its CPU seconds count every process it started
(worker processes reaped by it, and those still alive when it measures: a local Ray instance's)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PRELUDE = f"import sys; sys.path.insert(0, {str(HERE)!r}); from fresh import cpu_seconds, processes;"


def _stat(pid: str) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) of a live process, from /proc."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after the command name, which may hold spaces
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants() -> dict[int, float]:
    """The live descendants of this process, each with its CPU seconds."""
    stats = {int(pid): s for pid in os.listdir("/proc") if pid.isdigit() and (s := _stat(pid)) is not None}
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    found, todo = {}, list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        found[pid] = stats[pid][1]
        todo += children.get(pid, [])
    return found


def cpu_seconds() -> float:
    """CPU seconds of this process, of its children it has reaped, and of its live descendants."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime + sum(descendants().values())


def processes() -> int:
    """This process and its live descendants that work (multiprocessing's resource tracker aside)."""
    def tracker(pid: int) -> bool:
        try:
            return b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return True
    return 1 + sum(not tracker(pid) for pid in descendants())


def run_fresh(code: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The JSON object a snippet prints last, run in a fresh process (`cpu_seconds` and `processes` are
    imported for it)."""
    out = subprocess.run([sys.executable, "-c", PRELUDE + code, *args], capture_output=True, text=True,
                         env={**os.environ, **(env or {})})
    if out.returncode:
        raise RuntimeError(f"the run failed (exit {out.returncode}): {out.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result
