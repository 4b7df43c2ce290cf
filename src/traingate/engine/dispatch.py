"""Where the pass runs: in this process, or cut into shards folded by worker processes or Ray tasks
whose states merge in data order. `RunOptions` say how a run reads."""

from __future__ import annotations

import os
import time
import warnings
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from traingate.contracts.model import Contract
from traingate.data.sources import SourceFile
from traingate.data.spawn import can_spawn
from traingate.engine.executors import run_shards, start_workers
from traingate.engine.fold import fold
from traingate.engine.folded import Folded
from traingate.engine.progress import Progress
from traingate.engine.shards import Shard, may_shard, numbered, shard_ranges
from traingate.errors import TraingateError
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings, ShufflesBandKeys

if TYPE_CHECKING:
    from traingate.engine.cache import RunCache
    from traingate.engine.cache_run import Folding

AUTO_PARALLEL_BYTES = 512 << 20  # below it, starting worker processes costs about what they save


@dataclass(frozen=True)
class RunOptions:
    limit: int | None = None
    workers: int = 1  # 0: every core when the data is AUTO_PARALLEL_BYTES or more, else 1
    engine: str = "local"  # local or ray
    address: str | None = None  # a Ray cluster; default: start a local instance
    max_memory_mib: float | None = None
    exclude: tuple[str, ...] = ()  # glob patterns of files not to read, besides the contract's dataset.exclude
    cache: str | None = None  # a cache directory: each file's states are kept there and taken from there
    cache_max_bytes: int | None = None  # past it, the least recently used entries are removed
    cache_verify: bool = False  # hash every file, even one whose stat is the one the cache recorded


@dataclass(frozen=True)
class Spread:
    """How the pass was spread and what starting that cost: for the run to say when it did not pay."""

    data_bytes: int  # the size of the files, known when the run planned
    workers: int  # worker processes started (0: none)
    shards: int  # shards folded apart (0: the data was read in this process)
    start_seconds: float | None = None  # until the last worker was warm; unused workers: waiting for them to end
    one_shard: bool = False  # workers were asked for, but the data is one shard: read in this process


def workers_for(run: RunOptions, size: int) -> int:
    """The worker processes a pass over `size` bytes asks for: --workers, or with 0 every core from
    AUTO_PARALLEL_BYTES up."""
    return run.workers or ((os.cpu_count() or 1) if size >= AUTO_PARALLEL_BYTES else 1)


def fold_all(contract: Contract, validators: list[Validator[Any, Any]], files: list[SourceFile], columns: set[str],
             run: RunOptions, progress: Progress, cache: RunCache | None = None) -> tuple[Folded, list[str], int, Spread]:
    """The data folded into one state per check, the shards that could not be read, how many shards, and how
    the pass was spread. With a cache, only what it does not hold is folded (cache_run.py)."""
    folding = None if cache is None else _folding(contract, validators, files, columns, cache, progress,
                                                  run.max_memory_mib)
    size = sum(f.size for f in files)
    due = size if folding is None else sum(files[i].size for i, skip in folding.skips.items() if skip is not None)
    workers = workers_for(run, due)
    parallel = run.limit is None and (run.engine == "ray" or (workers > 1 and may_shard(files) and _spawns(run)))
    parallel = parallel and (folding is None or due > 0)
    local = parallel and run.engine == "local"
    pool, warming = start_workers(workers, _preload(validators)) if local else (None, None)  # they start while we plan
    shards = (shard_ranges(files, workers) if folding is None else folding.due_shards(workers)) if parallel else []
    if run.limit is not None or (run.engine == "local" and len(shards) <= 1):  # one process (--limit reads a prefix)
        one_shard = run.limit is None and workers > 1 and (pool is not None or not may_shard(files))
        spread = _unused(pool, Spread(size, workers if pool else 0, 0, one_shard=one_shard))
        shards = [Shard(i) for i in range(len(files))]
        if folding is not None:
            folding.all_here(1 if run.workers == 1 else os.cpu_count() or 1)
            return folding.finish(), [], len(shards), spread
        return fold(contract, validators, files, shards, columns, limit=run.limit, progress=progress,
                    max_rss_mib=run.max_memory_mib, threads=1 if run.workers == 1 else os.cpu_count() or 1), \
            [], len(shards), spread
    share = run.max_memory_mib / workers if run.max_memory_mib else None
    if folding is not None:
        try:
            failed, count = folding.on_workers(shards, pool, workers, share)
        finally:
            _started(warming.futures if warming else [])
        spread = Spread(size, workers if pool else 0, count, warming.seconds() if warming else None)
        return folding.finish(), failed, count, spread
    ids = [v.check_id for v in validators]
    findings = any(isinstance(v, ListsFindings) and v.keeps_findings for v in validators)
    tasks = ((contract, ids, files, shard, columns, share, findings, frozenset[int]())
             for shard in numbered(files, shards))  # counted as due
    try:
        outcomes, pairs = run_shards(tasks, run.engine, workers, run.address, pool,
                                     lambda i, _outcome: progress.advance(shards[i].size(files)))
    finally:
        _started(warming.futures if warming else [])  # workers that died as they started are explained
    merged = Folded.empty(validators)
    failed = []
    for shard, outcome in zip(shards, outcomes):
        if isinstance(outcome, str):
            failed.append(f"{shard.describe(files)}: {outcome}")
        else:
            merged = merged.merge(outcome, validators)
    for check, by_cap in pairs.items():  # near-duplicate candidates grouped on Ray, not here
        validator = validators[check]
        if isinstance(validator, ShufflesBandKeys) and merged.errors[check] is None:
            merged.states[check] = validator.give_pairs(merged.states[check], by_cap)
    spread = Spread(size, workers if pool else 0, len(shards), warming.seconds() if warming else None)
    return merged, failed, len(shards), spread


def _folding(contract: Contract, validators: list[Validator[Any, Any]], files: list[SourceFile], columns: set[str],
             cache: RunCache, progress: Progress, max_rss_mib: float | None) -> Folding:
    from traingate.engine.cache_run import Folding  # loaded only for a run with a cache
    return Folding(contract, validators, files, columns, cache, progress, max_rss_mib)


def _unused(pool: ProcessPoolExecutor | None, spread: Spread) -> Spread:
    """A pool started for data that turned out to be one shard, ended: the seconds waiting for it took."""
    if pool is None:
        return spread
    waited = time.perf_counter()
    pool.shutdown(cancel_futures=True)  # waits for the workers to finish starting
    return replace(spread, start_seconds=time.perf_counter() - waited)


def _preload(validators: list[Validator[Any, Any]]) -> tuple[str, ...]:
    return tuple(sorted({name for v in validators for name in v.preload}))


def _started(warming: list[Future[None]]) -> None:
    """Workers that all died as they started (no warming up finished) are explained; a worker that died
    on a shard later is the shard's failure, retried and reported as such."""
    broken = [f.exception() for f in warming
              if f.done() and not f.cancelled() and isinstance(f.exception(), BrokenProcessPool)]
    if warming and len(broken) == len(warming):
        raise TraingateError(
            "worker processes died as they started; a script that runs a validation on several workers must "
            "start it under `if __name__ == \"__main__\":` (each worker imports the main script again), or "
            "use one worker (--workers 1, or traingate.validate(..., workers=1))") from broken[0]


def _spawns(run: RunOptions) -> bool:
    """Whether worker processes can start; when they were asked for and cannot, the run says so and
    reads in this process."""
    if can_spawn():
        return True
    if run.workers > 1:
        warnings.warn(f"--workers {run.workers}: worker processes cannot start when the main script is read from "
                      "standard input; reading in this process instead", RuntimeWarning, stacklevel=3)
    return False
