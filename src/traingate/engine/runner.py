"""One pass over the data: every chunk goes to every validator; states are finalized into a RunResult. The
phases: where the pass runs (dispatch.py), the second look and finalize (second_look.py), the parts of the
result that describe what was read (assemble.py), the steps that load their modules only when needed: the cache's
and masking (run_deferred.py); then the gate and the evidence, here."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from traingate import validators as _validators  # noqa: F401  (registers the built-in checks)
from traingate.contracts.model import Contract
from traingate.data.sources import SourceFile, absolute_exclusions, given_inputs, resolve_all
from traingate.data.spill import run_spill_dir
from traingate.engine import evidence as _evidence
from traingate.engine.assemble import contract_info, dataset_info, file_infos, sha256_file
from traingate.engine.dispatch import RunOptions, fold_all, workers_for
from traingate.engine.faults import FaultLog
from traingate.engine.fold import build_validators
from traingate.engine.folded import Folded
from traingate.engine.gain import spread_warnings
from traingate.engine.limits import with_limits
from traingate.engine.memory import peak_rss_mib
from traingate.engine.presence import judge, needed_columns
from traingate.engine.progress import Progress
from traingate.engine.ray_engine import start_ray
from traingate.engine.rejects import Finished
from traingate.engine.run_deferred import cache_warnings, cached_results, close_cache, mask_reports, open_cache
from traingate.engine.second_look import finish
from traingate.engine.stats_collector import StatsCollector
from traingate.engine.type_faults import mismatch_lines
from traingate.results.gate import decide
from traingate.results.model import RunResult, SkippedFile
from traingate.validators.common.base import Validator
from traingate.version import __version__

__all__ = ["NO_ROWS", "RunOptions", "check_ids", "sha256_file", "validate"]


def check_ids(contract: Contract) -> list[str]:
    seen: dict[str, int] = {}
    ids = []
    for check in contract.all_checks():
        base = check.name or f"{check.group}.{check.type}"
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return ids


NO_ROWS = "no rows were read: the data holds no records, and an empty dataset never passes"


def validate(contract: Contract, data: list[str], *, limit: int | None = None, show_progress: bool = False,
             options: RunOptions | None = None, evidence: _evidence.Sink | None = None,
             finished: Callable[[Finished], object] | None = None) -> RunResult:
    """Check the data against the contract in one pass. `evidence`: a writer handed every check's findings
    (engine/evidence.py) after the run is assembled and masked; the gate errs when it fails. `finished`: called
    then with the finished run (engine/rejects.py: its rejected rows, their ids, the duplicate clusters)."""
    run = options or RunOptions(limit=limit)
    findings = evidence is not None or finished is not None
    # findings on disk are read back at the end; a cached state's spill files are copied back into this folder
    with run_spill_dir(run.max_memory_mib is not None or findings or run.cache is not None):
        result, validators, states, files, faults = _validate(contract, data, run, show_progress, findings)
        if evidence is not None:
            t0 = time.perf_counter()
            shown = {f.path: info.path for f, info in zip(files, result.dataset.files)}
            records = _evidence.findings(validators, states, result.checks, shown)
            result.gate = _evidence.write(evidence, records, result.gate)
            result.timings["evidence"] = time.perf_counter() - t0
        if finished is not None:
            t0 = time.perf_counter()
            finished(Finished(result, validators, states, [f.path for f in files], faults, files))
            result.timings["rejects"] = time.perf_counter() - t0
    return result


def _validate(contract: Contract, data: list[str], run: RunOptions, show_progress: bool, findings: bool,
              ) -> tuple[RunResult, list[Validator[Any, Any]], list[Any], list[SourceFile], FaultLog]:
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    base_dir = os.path.dirname(contract.source_path) if contract.source_path else None
    exclude = (*contract.dataset.exclude, *run.exclude)
    files, skipped = resolve_all(data, contract.dataset.splits, base_dir, exclude)
    validators = build_validators(contract, check_ids(contract), findings)
    columns = {c for v in validators for c in v.columns()} | _stats_columns(contract) | needed_columns(validators)
    with ThreadPoolExecutor(max_workers=1) as hasher, Progress(show_progress, files) as progress:
        ray_start = start_ray(run.address) if run.engine == "ray" and run.limit is None else None
        cache = open_cache(contract, validators, columns, files, run, findings)
        on_workers = run.engine == "ray" or workers_for(run, sum(f.size for f in files)) > 1
        hashes: list[Future[str]] = [_digest(hasher, f, on_workers) for f in files] if cache is None else \
            cache.digests(lambda f: _digest(hasher, f, on_workers))  # not a file whose stat the cache recorded
        folded, failed_shards, shard_count, spread = fold_all(contract, validators, files, columns, run, progress, cache)
        _count_type_faults(folded, files)
        judge(validators, folded.errors, folded.presence, files)  # a check whose field no row holds errs
        read_seconds = time.perf_counter() - t0
        results = finish(validators, folded, files, columns) if cache is None else \
            cached_results(cache, validators, folded, files, columns, failed_shards)
        fault_samples = folded.faults.samples(files)
        infos = file_infos(files, hashes, folded)
    dataset = dataset_info(contract, infos, folded, fault_samples, run.limit, shard_count, failed_shards)
    dataset.skipped_files = [SkippedFile(path=s.path, reason=s.reason) for s in skipped]
    dataset.inputs = given_inputs(data, contract.dataset.splits, base_dir)
    dataset.exclude = absolute_exclusions(exclude)
    dataset.cache = close_cache(cache)
    gate = decide(results, contract.gate.fail_on, folded.faults.total, contract.gate.max_bad_records,
                  _problems(folded, failed_shards))
    timings = {"total": time.perf_counter() - t0, "read_and_check": read_seconds,
               **({"ray_start": ray_start} if ray_start is not None else {}),
               **({"workers_start": spread.start_seconds} if spread.start_seconds is not None else {}),
               **{v.check_id: s for v, s in zip(validators, folded.seconds)}}
    result = RunResult(tool_version=__version__, run_id=uuid.uuid4().hex, started_at=started.isoformat(),
                       finished_at=datetime.now(UTC).isoformat(), contract=contract_info(contract, validators),
                       dataset=dataset, checks=results, gate=gate,
                       distributions=with_limits(StatsCollector().finalize(folded.stats), folded.stats.lengths, validators),
                       sketches=StatsCollector().sketches(folded.stats),
                       timings=timings, resources={"peak_rss_mib": round(peak_rss_mib(), 1),
                                                   "worker_peak_rss_mib": round(folded.worker_rss_mib, 1)},
                       warnings=spread_warnings(run, spread, read_seconds, ray_start) + cache_warnings(cache, run))
    mask_reports(validators, result)
    return result, validators, folded.states, files, folded.faults


def _digest(hasher: ThreadPoolExecutor, source: SourceFile, spread: bool) -> Future[str]:
    """A file hashed beside the pass; but a remote object that a pass on one process reads whole gets the
    digest that pass takes as it reads (data/remote_digest.py), and is fetched for it only if it was not.
    `spread`: the pass goes to worker processes, which read byte ranges and cannot hash the whole object."""
    if "://" not in source.path or spread:
        return hasher.submit(sha256_file, source)
    from traingate.data.remote_digest import Deferred, published
    return Deferred(lambda: published(source.location, source.etag, source.size) or sha256_file(source))


def _count_type_faults(folded: Folded, files: list[SourceFile]) -> None:
    """The values whose type differs from their column's, counted as faults (with their lines when kept)."""
    lines = mismatch_lines(folded.types, files) if folded.faults.keep_every else None
    for k, (index, count, sample) in enumerate(folded.types.faults([f.path for f in files])):
        folded.faults.add_counted("type_mismatch", index, count, sample, lines[k] if lines else None)


def _problems(folded: Folded, failed_shards: list[str]) -> list[str]:
    """What keeps the verdict from resting on the whole data: shards not read, a stop, no rows, lines not read."""
    problems = [f"shard {s} could not be read" for s in failed_shards] + ([folded.stopped] if folded.stopped else [])
    problems += [] if folded.rows else [NO_ROWS]
    if too_long := folded.faults.by_kind.get("line_too_long", 0):  # not read at all: the verdict cannot rest on it
        problems.append(f"{too_long} line(s) longer than TRAINGATE_MAX_LINE_BYTES were not read")
    return problems


def _stats_columns(contract: Contract) -> set[str]:
    from traingate.contracts.model import TEXT_FIELDS
    return {contract.dataset.column(f).split(".")[0] for f in TEXT_FIELDS[contract.dataset.kind]}
