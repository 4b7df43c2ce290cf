"""Folding shards into states: every chunk goes to every validator (a thread per validator, reading ahead on
another). The same function runs in the driver for one worker and in each worker process or Ray task. What a
fold hands back is a `Folded` (folded.py); past `--max-memory` the checks let memory go (memory.py)."""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any

import pyarrow as pa

from traingate.contracts.model import Contract
from traingate.data.batch import BatchContext
from traingate.data.chunk import Chunk
from traingate.data.readers import open_raw
from traingate.data.sources import SourceFile
from traingate.data.tokenizers import get_tokenizer
from traingate.engine.column_types import ColumnTypes
from traingate.engine.folded import Folded
from traingate.engine.memory import REACT_STEP, let_go, peak_rss_mib, rss_mib
from traingate.engine.prefetch import prefetch
from traingate.engine.presence import all_needs
from traingate.engine.progress import Progress
from traingate.engine.shard_reader import read_shard
from traingate.engine.shards import Shard
from traingate.engine.stats_collector import StatsCollector, sketched_features
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings
from traingate.validators.common.registry import build
from traingate.validators.common.textscan import text_patterns


def build_validators(contract: Contract, ids: list[str], findings: bool = False) -> list[Validator[Any, Any]]:
    """The contract's checks; with `findings`, those that list their findings keep every one (--evidence)."""
    base_dir = os.path.dirname(contract.source_path) if contract.source_path else None
    validators = [build(c, contract.dataset, i, base_dir) for c, i in zip(contract.all_checks(), ids)]
    for validator in validators:
        if findings and isinstance(validator, ListsFindings):
            validator.keeps_findings = True
    return validators



def _feed(validator: Validator[Any, Any], state: Any, batch: BatchContext) -> tuple[Any, str | None, float]:
    start = time.perf_counter()
    try:
        return validator.add_batch(state, batch), None, time.perf_counter() - start
    except Exception as exc:
        return state, f"validator_crashed: {type(exc).__name__}: {exc}", time.perf_counter() - start


def _chunks(files: list[SourceFile], shards: list[Shard], columns: set[str] | None, limit: int | None,
            progress: Progress, types: ColumnTypes | None = None) -> Any:
    remaining = limit
    for shard in shards:
        source = files[shard.file_index]
        with open_raw(source) as raw:
            progress.start_file(source, raw)
            for chunk in read_shard(source, shard, columns, raw, types):
                if remaining is not None:
                    if remaining <= 0:
                        return
                    if chunk.table.num_rows > remaining:
                        chunk.table, chunk.lines = chunk.table.slice(0, remaining), chunk.lines[:remaining]
                    remaining -= chunk.table.num_rows
                progress.update(chunk.table.num_rows)
                yield shard.file_index, chunk


def fold(contract: Contract, validators: list[Validator[Any, Any]], files: list[SourceFile], shards: list[Shard],
         columns: set[str], *, limit: int | None = None, progress: Progress | None = None,
         max_rss_mib: float | None = None, threads: int = 1, skip: frozenset[int] = frozenset()) -> Folded:
    """`threads` 1 keeps the fold on one core (a worker); more read ahead and run checks side by side, from the
    second batch on: the first is fed to one check after another, so that what a check imports on first use
    (spaCy, Presidio, a model) is imported by one thread, never by two at once (two threads importing one
    package can each see it half-initialised and fail). The checks at the indices in `skip` are not fed
    (their states come from the cache) and keep empty states."""
    stats = StatsCollector(sketched_features(contract))
    out = Folded.empty(validators)
    tokenizer = get_tokenizer(contract.dataset.tokenizer)
    progress = progress or Progress(False, files)
    chunks = _chunks(files, shards, columns, limit, progress, out.types)
    acted_at = 0.0  # resident memory after the last letting go
    needs = all_needs(validators)
    patterns = text_patterns(validators)  # from the contract's checks: the same in every process
    with ThreadPoolExecutor(max_workers=threads) as pool, _arrow_threads(threads):
        for index, chunk in prefetch(chunks) if threads > 1 else chunks:
            batch = _batch(contract, tokenizer, files, index, chunk, out.rows, patterns)
            out.faults.add(chunk.faults, index)
            if chunk.span is not None:
                out.blocks.setdefault(index, []).append(chunk.span)
            out.rows += batch.num_rows
            out.rows_per_file[index] += batch.num_rows
            out.presence.observe(batch, needs)
            out.stats = stats.add_batch(out.stats, batch)  # also fills the shared length caches
            live = [i for i, e in enumerate(out.errors) if e is None and i not in skip]
            feed = pool.map if threads > 1 and out.rows > batch.num_rows else map  # the first batch: one thread
            fed = feed(_feed, [validators[i] for i in live], [out.states[i] for i in live], [batch] * len(live))
            for i, (state, error, seconds) in zip(live, fed):
                out.states[i], out.errors[i], out.seconds[i] = state, error, out.seconds[i] + seconds
            if max_rss_mib is not None and rss_mib() > max(max_rss_mib, acted_at + REACT_STEP * max_rss_mib):
                where = f"line {int(chunk.lines[-1]) if len(chunk.lines) else 0} of {files[index].path}"
                if not let_go(validators, out, where):
                    out.stopped = f"memory limit reached: {rss_mib():.0f} MiB resident over {max_rss_mib:.0f} MiB after {where}"
                    break
                acted_at = rss_mib()
    return out



@contextmanager
def _arrow_threads(threads: int) -> Iterator[None]:
    """pyarrow's own thread pool sized to the cores this fold may use, restored afterwards."""
    before = pa.cpu_count()
    pa.set_cpu_count(max(1, threads))
    try:
        yield
    finally:
        pa.set_cpu_count(before)


def _batch(contract: Contract, tokenizer: Any, files: list[SourceFile], index: int, chunk: Chunk,
           offset: int, patterns: dict[str | None, tuple[str, ...]] | None = None) -> BatchContext:
    return BatchContext(chunk.table, contract.dataset, tokenizer, file=files[index].path, file_index=index,
                        lines=chunk.lines, unit=chunk.unit, split=files[index].split, row_offset=offset,
                        text_patterns=patterns)


# ..., keeps findings, the checks not to feed (cached)
Task = tuple[Contract, list[str], list[SourceFile], Shard, set[str], float | None, bool, frozenset[int]]


def fold_task(task: Task) -> tuple[Folded, list[Validator[Any, Any]]]:
    """Fold one shard in a worker process or Ray task; the validators come back for what follows there."""
    warm_up()
    contract, ids, files, shard, columns, max_rss_mib, findings, skip = task
    validators = build_validators(contract, ids, findings)
    folded = fold(contract, validators, files, [shard], columns, max_rss_mib=max_rss_mib, skip=skip)
    folded.worker_rss_mib = peak_rss_mib()
    return folded, validators


def fold_shard(task: Task) -> Folded:
    """Entry point of a worker process: fold one shard."""
    return fold_task(task)[0]


def warm_up(preload: tuple[str, ...] = ()) -> None:
    """Import (and so register) the built-in checks, and the modules the run's checks import on first
    use: run first in each worker process, while the driver plans the shards."""
    from traingate import validators as _validators  # noqa: F401

    for name in preload:
        with suppress(ImportError):  # the check that needs it says so when it runs
            importlib.import_module(name)
