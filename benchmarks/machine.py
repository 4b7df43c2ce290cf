"""What every benchmark prints first: the machine and how busy it was, so a figure can be read against
the load it was measured under. `floor_read_json` is the bare reader the format pass is compared with."""

from __future__ import annotations

import os
import platform
import resource
import time
from pathlib import Path


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def describe() -> str:
    """One line: cores, Python, pyarrow and the load average now."""
    import pyarrow

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"machine: {cores} cores, Python {platform.python_version()}, pyarrow {pyarrow.__version__}, "
            f"{load()}")


def children_cpu() -> float:
    """CPU seconds (user and system) of every child process this one has reaped so far: the difference
    around a subprocess.run is that run's CPU, its own workers included."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def banner() -> None:
    print(describe())


def floor_read_json(path: Path, threads: bool = False) -> tuple[float, float]:
    """Seconds of wall and of CPU for pyarrow's JSON reader alone on `path` (one thread unless `threads`)."""
    import pyarrow as pa
    import pyarrow.json as pj

    before = pa.io_thread_count(), pa.cpu_count()
    if not threads:
        pa.set_cpu_count(1)
        pa.set_io_thread_count(1)
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        pj.read_json(path, read_options=pj.ReadOptions(use_threads=threads, block_size=1 << 24))
        return time.perf_counter() - wall, time.process_time() - cpu
    finally:
        pa.set_io_thread_count(before[0])
        pa.set_cpu_count(before[1])
