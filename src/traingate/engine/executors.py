"""Where shards are folded: worker processes on this machine, or tasks of Ray Data on a Ray cluster
(engine/ray_engine.py).
A shard that fails is tried once more; one that fails twice is reported, never dropped silently. A full
spill disk is not retried: it ends the run (SpillError). However the run ends, its workers are ended and
reaped (data/lifecycle.py)."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any

from traingate.data.lifecycle import end_processes, reap_tracker_at_exit, start_as_worker
from traingate.data.presidio import mark_shard_worker
from traingate.data.spill import SpillError
from traingate.engine.fold import fold_shard, warm_up
from traingate.engine.folded import Folded
from traingate.engine.ray_engine import run_on_ray
from traingate.engine.ray_shuffle import Pairs

Task = tuple[Any, ...]
Outcome = Folded | str  # the folded shard, or why it failed


@dataclass
class Warming:
    """The warming up of a pool's workers: their futures, and when each finished (perf_counter)."""

    started: float
    futures: list[Future[None]] = field(default_factory=list)
    ready: list[float] = field(default_factory=list)

    def seconds(self) -> float | None:
        """Seconds from starting the pool until its last worker was warm; None until all were."""
        return max(self.ready) - self.started if self.futures and len(self.ready) == len(self.futures) else None

    def done(self, future: Future[None]) -> None:
        if not future.cancelled() and future.exception() is None:
            self.ready.append(time.perf_counter())


def start_workers(workers: int, preload: tuple[str, ...] = ()) -> tuple[ProcessPoolExecutor, Warming]:
    """A pool of spawned worker processes, already starting (importing traingate and `preload`) when
    returned, with their warming up."""
    reap_tracker_at_exit()
    warming = Warming(time.perf_counter())
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker, initargs=(os.getpid(),))
    for _ in range(workers):
        future = pool.submit(warm_up, preload)
        future.add_done_callback(warming.done)
        warming.futures.append(future)
    return pool, warming


def _start_worker(driver: int) -> None:
    mark_shard_worker()
    start_as_worker(driver)


def _pool_processes(pool: ProcessPoolExecutor) -> list[BaseProcess]:
    """The pool's worker processes (those it started, not every child of this process)."""
    return list((getattr(pool, "_processes", None) or {}).values())


def _processes(tasks: Iterable[Task], pool: ProcessPoolExecutor, on_done: Callable[[int, Outcome], None] | None = None
               ) -> list[Outcome]:
    """Outcomes in task order, each task submitted as soon as it comes; `on_done(task index, outcome)` as each
    finishes (for progress, and the cache's entries)."""
    outcomes: dict[int, Outcome] = {}
    futures: dict[Future[Folded], int] = {}
    try:
        futures = {pool.submit(fold_shard, task): i for i, task in enumerate(tasks)}
        for future in as_completed(futures):
            try:
                outcomes[futures[future]] = future.result()
            except SpillError:  # a full disk stays full: no second try, the run ends
                raise
            except Exception as exc:  # a crashed worker breaks the pool: every unfinished shard is retried
                outcomes[futures[future]] = f"{type(exc).__name__}: {exc}"
            if on_done is not None:
                on_done(futures[future], outcomes[futures[future]])
    except BaseException:  # Ctrl-C, SIGTERM, a full disk: stop the workers now, not after their shards
        processes = _pool_processes(pool)
        pool.shutdown(wait=False, cancel_futures=True)
        end_processes(processes)  # reaped before the run removes its spill folder, which they write to
        raise
    pool.shutdown()
    return [outcomes[i] for i in range(len(futures))]


def run_shards(tasks: Iterable[Task], engine: str, workers: int, address: str | None,
               pool: ProcessPoolExecutor | None = None, on_done: Callable[[int, Outcome], None] | None = None,
               ) -> tuple[list[Outcome], Pairs]:
    """Each shard folded (or why it failed twice), and the candidate pairs grouped on Ray (empty locally)."""
    if engine == "ray":
        return run_on_ray(list(tasks), address)
    submitted: list[Task] = []
    outcomes = _processes(_kept(tasks, submitted), pool or start_workers(workers)[0], on_done)
    for i in [i for i, outcome in enumerate(outcomes) if isinstance(outcome, str)]:
        # each on a fresh process of its own: a dead worker breaks its pool and every shard in flight there
        again = _processes([submitted[i]], start_workers(1)[0])[0]
        outcomes[i] = again if isinstance(again, Folded) else f"failed twice: {again}"
    return outcomes, {}


def _kept(tasks: Iterable[Task], into: list[Task]) -> Iterator[Task]:
    """The tasks, each also kept in `into` (for a second try) as it is handed out."""
    for task in tasks:
        into.append(task)
        yield task
