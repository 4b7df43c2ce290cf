"""Where shards are folded: worker processes on this machine, or tasks of Ray Data on a Ray cluster
(engine/ray_engine.py).
A shard that fails is tried once more; one that fails twice is reported, never dropped silently."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from traingate.engine.fold import Folded, fold_shard
from traingate.engine.ray_engine import Pairs, run_on_ray

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


def run_shards(tasks: list[Task], engine: str, workers: int, address: str | None) -> tuple[list[Outcome], Pairs]:
    """Each shard folded (or why it failed twice), and the candidate pairs grouped on Ray (empty locally)."""
    if engine == "ray":
        return run_on_ray(tasks, address)
    outcomes = _processes(tasks, workers)
    retry = [i for i, outcome in enumerate(outcomes) if isinstance(outcome, str)]
    if retry:
        for i, outcome in zip(retry, _processes([tasks[i] for i in retry], workers)):
            outcomes[i] = outcome if isinstance(outcome, Folded) else f"failed twice: {outcome}"
    return outcomes, {}
