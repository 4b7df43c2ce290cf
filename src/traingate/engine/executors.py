"""Where shards are folded: worker processes on this machine, or tasks of Ray Data on a Ray cluster.
A shard that fails is tried once more; one that fails twice is reported, never dropped silently."""

from __future__ import annotations

import multiprocessing
import resource
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from traingate.engine.fold import Folded, fold_shard
from traingate.errors import MissingDependencyError

Task = tuple[Any, ...]
Outcome = Folded | str  # the folded shard, or why it failed


def _processes(tasks: list[Task], workers: int) -> list[Outcome]:
    outcomes: list[Outcome] = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(fold_shard, task) for task in tasks]
        for future in futures:
            try:
                outcomes.append(future.result())
            except Exception as exc:  # a crashed worker breaks the pool: every unfinished shard is retried
                outcomes.append(f"{type(exc).__name__}: {exc}")
    return outcomes


def _ray_fold(row: dict[str, Any]) -> dict[str, Any]:
    import pickle

    try:
        return {"index": row["index"], "folded": pickle.dumps(fold_shard(pickle.loads(row["task"]))), "error": ""}
    except Exception as exc:
        return {"index": row["index"], "folded": b"", "error": f"{type(exc).__name__}: {exc}"}


def _ray(tasks: list[Task], address: str | None) -> list[Outcome]:
    """The map on Ray Data: one row per shard, folded by a Ray task; states come back to be merged in order."""
    import pickle

    try:
        import ray
    except ImportError as exc:
        raise MissingDependencyError("the Ray engine", "ray", "ray") from exc
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    rows = [{"index": i, "task": pickle.dumps(task)} for i, task in enumerate(tasks)]
    done = ray.data.from_items(rows, override_num_blocks=len(rows)).map(_ray_fold, max_retries=0).take_all()
    by_index = {row["index"]: row for row in done}
    return [pickle.loads(by_index[i]["folded"]) if not by_index[i]["error"] else by_index[i]["error"]
            for i in range(len(tasks))]


def run_shards(tasks: list[Task], engine: str, workers: int, address: str | None) -> list[Outcome]:
    run: Callable[[list[Task]], list[Outcome]] = (
        (lambda ts: _ray(ts, address)) if engine == "ray" else (lambda ts: _processes(ts, workers)))
    outcomes = run(tasks)
    retry = [i for i, outcome in enumerate(outcomes) if isinstance(outcome, str)]
    if retry:
        for i, outcome in zip(retry, run([tasks[i] for i in retry])):
            outcomes[i] = outcome if isinstance(outcome, Folded) else f"failed twice: {outcome}"
    return outcomes


def peak_rss_mib() -> dict[str, float]:
    """Peak resident memory of this process and of the largest finished worker process (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_rss_mib": round(own, 1), "worker_peak_rss_mib": round(children, 1)}
