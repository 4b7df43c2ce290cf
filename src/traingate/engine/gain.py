"""Whether spreading the pass paid: worker processes (`--workers N`) or Ray (`--engine ray`) chosen for data
too small to gain from them cost start-up seconds a single process does not pay; the run says so, with
what it cost, and reads the data all the same (the result is the one a single process gives).

The sizes are measured (benchmarks/scale.py: the format checks and exact duplicates on SFT rows, one
process, 2 workers and a local Ray instance, each run in a fresh process, on 2 cores with the machine
otherwise idle): below them the spread run took longer than one process in every run measured (2 workers:
0.81x at 38.5 MB, 0.96x at 127 MB, then 1.27x at 386 MB and 1.54x at 773 MB; Ray: 0.16-0.72x up to 773 MB).
Heavier checks (NER, embeddings) gain from workers on less data; these sizes hold for the lightest.
"""

from traingate.engine.dispatch import RunOptions, Spread

WORKERS_PAY_BYTES = 128_000_000  # 127 MB measured slower, 386 MB faster
RAY_PAYS_BYTES = 768 << 20


def spread_warnings(run: RunOptions, spread: Spread, read_seconds: float, ray_start: float | None) -> list[str]:
    """What `--workers` or `--engine ray` cost a run of data too small to gain from it (none: it could gain)."""
    if run.limit is not None:
        return []
    size = _size(spread.data_bytes)
    if run.engine == "ray":
        if spread.data_bytes >= RAY_PAYS_BYTES or ray_start is None or run.address is not None:
            return []  # a cluster's size is its own: only a local instance was measured
        return [f"--engine ray on {size}: a local Ray instance took longer than one process on data under "
                f"{_size(RAY_PAYS_BYTES)} (measured on 2 cores); starting it took {ray_start:.1f} s of the "
                f"{read_seconds:.1f} s of reading and checking. Data this small reads faster without --engine ray."]
    if run.workers <= 1:  # the default starts workers only from 512 MiB, where they pay
        return []
    if spread.one_shard:
        said = f"--workers {run.workers} on {size}: the data is one shard, so it was read in this process"
        if spread.start_seconds is None:
            return [f"{said} (no worker process was started)."]
        return [f"{said}; waiting for the {spread.workers} worker processes started for it took "
                f"{spread.start_seconds:.1f} s. Data this small reads faster without --workers."]
    if spread.start_seconds is None or spread.data_bytes >= WORKERS_PAY_BYTES:
        return []
    return [f"--workers {run.workers} on {size}: worker processes took longer than one process on data under "
            f"{_size(WORKERS_PAY_BYTES)} (measured on 2 cores); starting them took {spread.start_seconds:.1f} s of "
            f"the {read_seconds:.1f} s of reading and checking. Data this small reads faster without --workers."]


def _size(data_bytes: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if data_bytes >= scale:
            return f"{data_bytes / scale:.1f} {unit}"
    return f"{data_bytes} bytes"
