"""Folding shards into states: every chunk goes to every validator (a thread per validator, reading ahead on
another). The same function runs in the driver for one worker and in each worker process or Ray task."""

from __future__ import annotations

import gc
import importlib
import os
import resource
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from traingate.contracts.model import Contract
from traingate.data.batch import BatchContext
from traingate.data.readers import Chunk, Span, open_raw
from traingate.data.sources import SourceFile
from traingate.data.tokenizers import get_tokenizer
from traingate.engine.column_types import ColumnTypes
from traingate.engine.faults import FaultLog
from traingate.engine.prefetch import prefetch
from traingate.engine.presence import Presence, all_needs
from traingate.engine.progress import Progress
from traingate.engine.shards import Shard, read_shard
from traingate.engine.stats import StatsCollector
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings, ShedsRows, SpillsRows
from traingate.validators.common.registry import build

MAX_SHEDS = 8  # a check keeps at least 1/256 of its rows before the run stops instead
# Over the limit, checks let memory go again only once resident memory grew by this share of the limit
# since the last time: memory the checks do not hold (the process, a chunk) is not written out chunk by chunk.
REACT_STEP = 0.05


def build_validators(contract: Contract, ids: list[str], findings: bool = False) -> list[Validator[Any, Any]]:
    """The contract's checks; with `findings`, those that list their findings keep every one (--evidence)."""
    base_dir = os.path.dirname(contract.source_path) if contract.source_path else None
    validators = [build(c, contract.dataset, i, base_dir) for c, i in zip(contract.all_checks(), ids)]
    for validator in validators:
        if findings and isinstance(validator, ListsFindings):
            validator.keeps_findings = True
    return validators


def rss_mib() -> float:
    """Resident memory of this process now (Linux /proc; 0 where it is not available)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


@dataclass
class Folded:
    """What a worker hands back: one state per check, the shared statistics and the bookkeeping."""

    states: list[Any]
    errors: list[str | None]
    seconds: list[float]
    stats: Any
    faults: FaultLog = field(default_factory=FaultLog)
    rows_per_file: Counter[int] = field(default_factory=Counter)
    rows: int = 0
    stopped: str | None = None  # why reading stopped before the end of the data
    worker_rss_mib: float = 0.0  # peak resident memory of the largest worker process that folded a part
    memory_actions: list[str] = field(default_factory=list)  # checks that sampled to stay under the limit
    blocks: dict[int, list[Span]] = field(default_factory=dict)  # JSON lines blocks read, by file (second look)
    halvings: int = 0  # times the sampling checks of this fold halved their share
    types: ColumnTypes = field(default_factory=ColumnTypes)  # each column's type, first in data order
    presence: Presence = field(default_factory=Presence)  # the fields checks read that some row holds

    @classmethod
    def empty(cls, validators: list[Validator[Any, Any]]) -> Folded:
        return cls([v.create_state() for v in validators], [None] * len(validators), [0.0] * len(validators),
                   StatsCollector().create_state())

    def merge(self, other: Folded, validators: list[Validator[Any, Any]]) -> Folded:
        states = [a if ea else b if eb else v.merge_states(a, b)
                  for v, a, b, ea, eb in zip(validators, self.states, other.states, self.errors, other.errors)]
        return Folded(states, [a or b for a, b in zip(self.errors, other.errors)],
                      [a + b for a, b in zip(self.seconds, other.seconds)],
                      StatsCollector().merge_states(self.stats, other.stats), self.faults.merge(other.faults),
                      self.rows_per_file + other.rows_per_file, self.rows + other.rows, self.stopped or other.stopped,
                      max(self.worker_rss_mib, other.worker_rss_mib), self.memory_actions + other.memory_actions,
                      {i: self.blocks.get(i, []) + other.blocks.get(i, []) for i in self.blocks.keys() | other.blocks},
                      max(self.halvings, other.halvings), self.types.merge(other.types),
                      self.presence.merge(other.presence))


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
         max_rss_mib: float | None = None, threads: int = 1) -> Folded:
    """`threads` 1 keeps the fold on one core (a worker); more read ahead and run checks side by side."""
    stats = StatsCollector()
    out = Folded.empty(validators)
    tokenizer = get_tokenizer(contract.dataset.tokenizer)
    progress = progress or Progress(False, files)
    chunks = _chunks(files, shards, columns, limit, progress, out.types)
    acted_at = 0.0  # resident memory after the last letting go
    needs = all_needs(validators)
    with ThreadPoolExecutor(max_workers=threads) as pool, _arrow_threads(threads):
        for index, chunk in prefetch(chunks) if threads > 1 else chunks:
            batch = _batch(contract, tokenizer, files, index, chunk, out.rows)
            out.faults.add(chunk.faults, index)
            if chunk.span is not None:
                out.blocks.setdefault(index, []).append(chunk.span)
            out.rows += batch.num_rows
            out.rows_per_file[index] += batch.num_rows
            out.presence.observe(batch, needs)
            out.stats = stats.add_batch(out.stats, batch)  # also fills the shared length caches
            live = [i for i, e in enumerate(out.errors) if e is None]
            feed = pool.map if threads > 1 else map
            fed = feed(_feed, [validators[i] for i in live], [out.states[i] for i in live], [batch] * len(live))
            for i, (state, error, seconds) in zip(live, fed):
                out.states[i], out.errors[i], out.seconds[i] = state, error, out.seconds[i] + seconds
            if max_rss_mib is not None and rss_mib() > max(max_rss_mib, acted_at + REACT_STEP * max_rss_mib):
                where = f"line {int(chunk.lines[-1]) if len(chunk.lines) else 0} of {files[index].path}"
                if not _shed(validators, out, where):
                    out.stopped = f"memory limit reached: {rss_mib():.0f} MiB resident over {max_rss_mib:.0f} MiB after {where}"
                    break
                acted_at = rss_mib()
    return out


def _shed(validators: list[Validator[Any, Any]], out: Folded, where: str) -> bool:
    """Memory runs short: the checks that spill write what they hold to disk, the checks that sample halve
    their share (at most MAX_SHEDS times in a fold). False when no check could let anything go."""
    spilled = halved = False
    for i, validator in enumerate(validators):
        if out.errors[i] is not None:
            continue
        if isinstance(validator, ListsFindings) and validator.keeps_findings:
            out.states[i], written = validator.spill_findings(out.states[i])
            if written:
                out.memory_actions.append(f"{validator.check_id}: wrote {written} findings to disk after {where}")
                spilled = True
        if isinstance(validator, SpillsRows):
            out.states[i], written = validator.spill(out.states[i])
            if not written:
                continue
            out.memory_actions.append(f"{validator.check_id}: wrote {written} {validator.spills} to disk after {where}")
            spilled = True
        elif isinstance(validator, ShedsRows) and out.halvings < MAX_SHEDS:
            out.states[i] = validator.shed(out.states[i])
            out.memory_actions.append(f"{validator.check_id}: kept half of its rows' share by hash after {where}")
            halved = True
    out.halvings += halved
    gc.collect()
    return spilled or halved


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
           offset: int) -> BatchContext:
    return BatchContext(chunk.table, contract.dataset, tokenizer, file=files[index].path, file_index=index,
                        lines=chunk.lines, unit=chunk.unit, split=files[index].split, row_offset=offset)


Task = tuple[Contract, list[str], list[SourceFile], Shard, set[str], float | None, bool]  # ..., keeps findings


def fold_task(task: Task) -> tuple[Folded, list[Validator[Any, Any]]]:
    """Fold one shard in a worker process or Ray task; the validators come back for what follows there."""
    warm_up()
    contract, ids, files, shard, columns, max_rss_mib, findings = task
    validators = build_validators(contract, ids, findings)
    folded = fold(contract, validators, files, [shard], columns, max_rss_mib=max_rss_mib)
    folded.worker_rss_mib = peak_rss_mib()
    return folded, validators


def fold_shard(task: Task) -> Folded:
    """Entry point of a worker process: fold one shard."""
    return fold_task(task)[0]


def peak_rss_mib() -> float:
    """Peak resident memory of this process: VmHWM, which starts afresh at exec (getrusage's maxrss
    carries the parent's peak into a spawned child)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def warm_up(preload: tuple[str, ...] = ()) -> None:
    """Import (and so register) the built-in checks, and the modules the run's checks import on first
    use: run first in each worker process, while the driver plans the shards."""
    from traingate import validators as _validators  # noqa: F401

    for name in preload:
        with suppress(ImportError):  # the check that needs it says so when it runs
            importlib.import_module(name)
