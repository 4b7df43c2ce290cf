"""`traingate filter`: the run that judges the data also names the rows to drop, so the verdict and the fix
cannot disagree. One validation pass keeps every finding (engine/rejects.py); the rows rejected at the chosen
severity (and every record that could not be read) are dropped, and the others are written in their original
form (data/writers/) in a second pass over the files. With `rejects`, the dropped rows go to a writer as
`validate --rejects` writes them: the same records, restricted to the same severity.

Severity: "error" drops the rows an error-severity check rejects; "warn" those a warn- or error-severity
check rejects. Checks of a lower severity, and checks that judge the dataset as a whole (coverage, quantity,
agreement, aggregate expectations: they list no rows), drop nothing: their status is reported as not fixed.
Nothing is written when part of the data could not be read (a shard that failed, reading stopped under
--max-memory): the rows not read were never judged."""

from __future__ import annotations

import os
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from traingate.contracts.model import Contract
from traingate.data.lookup import LINE_BITS
from traingate.data.sources import SourceFile, resolve_all
from traingate.data.writers import Plan, plan
from traingate.engine import runner
from traingate.engine.dispatch import RunOptions
from traingate.engine.filter_write import write_kept
from traingate.engine.reject_rows import SEVERITIES, located_rows
from traingate.engine.rejects import Finished
from traingate.results.model import CheckResult, RunResult
from traingate.validators.common.capabilities import ListsFindings

Sink = Callable[[Iterator[dict[str, Any]]], object]  # writes the rejected rows (reports/json.py)


@dataclass
class Filtered:
    """What `filter` did: the run, the rows kept and dropped, the files written, and what it did not fix."""

    result: RunResult
    severity: str
    outputs: list[str] = field(default_factory=list)
    kept: int = 0
    dropped: int = 0  # rows rejected and records that could not be read
    unreadable: int = 0
    unfixed: list[CheckResult] = field(default_factory=list)  # checks that list no rows: not fixed by dropping
    unfiltered: list[CheckResult] = field(default_factory=list)  # row checks at the severity that errored
    problem: str | None = None  # why nothing was written
    rejects_problem: str | None = None  # why the rejected rows could not be written
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class _Collected:
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    unreadable: int = 0
    rejects_problem: str | None = None
    unfixed: list[int] = field(default_factory=list)
    unfiltered: list[int] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


def _collect(severity: str, sink: Sink | None, into: _Collected) -> Callable[[Finished], None]:
    """The callback the run hands its findings to: the rejected row ids, and the rejected rows to `sink`."""

    def collect(run: Finished) -> None:
        checks, validators, into.paths = run.result.checks, run.validators, run.paths
        into.unfixed = [k for k, v in enumerate(validators) if not isinstance(v, ListsFindings)]
        into.unfiltered = [k for k, (v, c) in enumerate(zip(validators, checks)) if isinstance(v, ListsFindings)
                           and c.status == "errored" and SEVERITIES.index(c.severity) >= SEVERITIES.index(severity)]
        if sink is None:
            into.ids = run.rejected_ids(severity)
            into.unreadable = sum(1 for _ in run.faults.every()) if run.faults is not None else 0
            return
        ids = array("Q")  # 8 bytes a rejected row

        def tee() -> Iterator[dict[str, Any]]:
            for index, line, record in located_rows(validators, run.states, checks, run.paths, severity=severity,
                                                    faults=run.faults, shown=run.shown(), kept=run.kept(severity)):
                ids.append(index << LINE_BITS | line)
                into.unreadable += "fault" in record
                yield record

        try:
            sink(tee())
        except Exception as exc:  # the rows are still known: read again, the problem reported
            into.rejects_problem = f"the rejected rows (--rejects) could not be written: {type(exc).__name__}: {exc}"
            del ids[:]
            into.unreadable = 0
            for _ in tee():
                pass
        into.ids = np.frombuffer(ids, dtype=np.uint64) if len(ids) else np.zeros(0, np.uint64)

    return collect


def _unread(result: RunResult) -> str | None:
    """Why the data was not read whole, if it was not."""
    if result.dataset.errored_shards:
        return f"{len(result.dataset.errored_shards)} shard(s) could not be read: " + result.dataset.errored_shards[0]
    return f"reading stopped early: {result.dataset.stopped_early}" if result.dataset.stopped_early else None


def filter_data(contract: Contract, data: list[str], out: str, *, severity: str | None = None,
                options: RunOptions | None = None, rejects: Sink | None = None,
                show_progress: bool = False) -> Filtered:
    """Validate `data` against `contract` and write the rows no check of `severity` (default: the contract's
    gate.fail_on) rejects to `out` (data/writers/targets.py says how `out` is read)."""
    run = options or RunOptions()
    severity = severity or contract.gate.fail_on
    files, targets = planned(contract, data, out, run)
    collected = _Collected()
    t0 = time.perf_counter()
    result = runner.validate(contract, data, options=run, show_progress=show_progress,
                             finished=_collect(severity, rejects, collected))
    done = Filtered(result, severity, unreadable=collected.unreadable, rejects_problem=collected.rejects_problem,
                    unfixed=[result.checks[k] for k in collected.unfixed],
                    unfiltered=[result.checks[k] for k in collected.unfiltered],
                    seconds={"validate": time.perf_counter() - t0})
    done.problem = _unread(result)
    if done.problem is None and collected.paths != [f.path for f in files]:  # changed between listing and reading
        done.problem = "the data's files changed while it was read: " + ", ".join(
            sorted(set(collected.paths) ^ {f.path for f in files})[:3])
    if done.problem is None:
        t1 = time.perf_counter()
        kept = write_kept(files, collected.ids, targets, threads=_threads(run, files))
        done.seconds["write"] = time.perf_counter() - t1
        done.outputs, done.kept, done.dropped = targets.paths(), sum(kept), len(collected.ids)
    return done


def planned(contract: Contract, data: list[str], out: str, run: RunOptions) -> tuple[list[SourceFile], Plan]:
    """The files the run will read (as it resolves them) and where each one's rows go."""
    base_dir = os.path.dirname(contract.source_path) if contract.source_path else None
    files, _ = resolve_all(data, contract.dataset.splits, base_dir, (*contract.dataset.exclude, *run.exclude))
    return files, plan(files, out)


def _threads(run: RunOptions, files: list[SourceFile]) -> int:
    return min(len(files), run.workers if run.workers > 1 else (os.cpu_count() or 1) if run.workers == 0 else 1)
