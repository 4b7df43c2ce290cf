"""One pass over the data: every chunk goes to every validator; states are finalized into a RunResult."""

from __future__ import annotations

import glob
import hashlib
import os
import time
import uuid
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from traingate import validators as _validators  # noqa: F401  (registers the built-in checks)
from traingate.contracts.model import Contract
from traingate.data.lookup import fetch_rows
from traingate.data.readers import open_raw
from traingate.data.sources import SourceFile, absolute_exclusions, describe, given_inputs, resolve_all
from traingate.data.spawn import can_spawn
from traingate.data.spill import run_spill_dir
from traingate.data.tokenizers import get_tokenizer
from traingate.engine import evidence as _evidence
from traingate.engine.executors import run_shards, start_workers
from traingate.engine.fold import build_validators, fold
from traingate.engine.folded import Folded
from traingate.engine.limits import with_limits
from traingate.engine.memory import peak_rss_mib
from traingate.engine.presence import judge, needed_columns
from traingate.engine.progress import Progress
from traingate.engine.ray_engine import start_ray
from traingate.engine.shards import Shard, may_shard, numbered, shard_ranges
from traingate.engine.stats import StatsCollector
from traingate.errors import TraingateError
from traingate.results.gate import decide
from traingate.results.model import (
    CheckResult,
    ContractInfo,
    DatasetInfo,
    Fault,
    FileInfo,
    RunResult,
    SideFile,
    SkippedFile,
)
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings, LooksAgain, ShufflesBandKeys
from traingate.version import __version__


def check_ids(contract: Contract) -> list[str]:
    seen: dict[str, int] = {}
    ids = []
    for check in contract.all_checks():
        base = check.name or f"{check.group}.{check.type}"
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return ids


def sha256_file(source: SourceFile) -> str:
    digest = hashlib.sha256()
    with open_raw(source) as raw:
        while block := raw.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def side_files(validators: list[Validator[Any, Any]]) -> list[SideFile]:
    """The files checks read besides the data, globs expanded, each with its sha256 (local files)."""
    paths = [p for v in validators for pattern in v.side_files()
             for p in (sorted(glob.glob(pattern)) if "://" not in pattern and glob.has_magic(pattern) else [pattern])]
    return [SideFile(path=p if "://" in p else os.path.abspath(p),
                     sha256=None if "://" in p else sha256_file(describe(p, "side"))) for p in dict.fromkeys(paths)]


NO_ROWS = "no rows were read: the data holds no records, and an empty dataset never passes"
AUTO_PARALLEL_BYTES = 512 << 20  # below it, starting worker processes costs about what they save


@dataclass(frozen=True)
class RunOptions:
    limit: int | None = None
    workers: int = 1  # 0: every core when the data is AUTO_PARALLEL_BYTES or more, else 1
    engine: str = "local"  # local or ray
    address: str | None = None  # a Ray cluster; default: start a local instance
    max_memory_mib: float | None = None
    exclude: tuple[str, ...] = ()  # glob patterns of files not to read, besides the contract's dataset.exclude


def _fold_all(contract: Contract, validators: list[Validator[Any, Any]], files: list[SourceFile], columns: set[str],
              run: RunOptions, progress: Progress) -> tuple[Folded, list[str], int]:
    """The data folded into one state per check, the shards that could not be read, and how many shards."""
    workers = run.workers or ((os.cpu_count() or 1) if sum(f.size for f in files) >= AUTO_PARALLEL_BYTES else 1)
    parallel = run.limit is None and (run.engine == "ray" or (workers > 1 and may_shard(files) and _spawns(run)))
    local = parallel and run.engine == "local"
    pool, warming = start_workers(workers, _preload(validators)) if local else (None, [])  # they start while we plan
    shards = shard_ranges(files, workers) if parallel else []
    if run.limit is not None or (run.engine == "local" and len(shards) <= 1):  # one process (--limit reads a prefix)
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        shards = [Shard(i) for i in range(len(files))]
        return fold(contract, validators, files, shards, columns, limit=run.limit, progress=progress,
                    max_rss_mib=run.max_memory_mib, threads=1 if run.workers == 1 else os.cpu_count() or 1), \
            [], len(shards)
    share = run.max_memory_mib / workers if run.max_memory_mib else None
    ids = [v.check_id for v in validators]
    findings = any(isinstance(v, ListsFindings) and v.keeps_findings for v in validators)
    tasks = ((contract, ids, files, shard, columns, share, findings) for shard in numbered(files, shards))  # counted as due
    try:
        outcomes, pairs = run_shards(tasks, run.engine, workers, run.address, pool,
                                     lambda i: progress.advance(shards[i].size(files)))
    finally:
        _started(warming)  # workers that died as they started are explained, whatever else failed
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
    return merged, failed, len(shards)


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


def _finish(validator: Validator[Any, Any], state: Any, error: str | None,
            rows: dict[int, dict[str, Any]]) -> CheckResult:
    if error is None:
        try:
            return validator.finalize(state, rows)
        except Exception as exc:
            error = f"finalize_crashed: {type(exc).__name__}: {exc}"
    return validator.result(status="errored", error=error, message=error)


def _wanted(validator: Validator[Any, Any], state: Any, error: str | None) -> tuple[set[int], str | None]:
    if error is not None:
        return set(), error
    try:
        return (set(validator.wanted_rows(state)) if isinstance(validator, LooksAgain) else set()), None
    except Exception as exc:
        return set(), f"finalize_crashed: {type(exc).__name__}: {exc}"


def validate(contract: Contract, data: list[str], *, limit: int | None = None, show_progress: bool = False,
             options: RunOptions | None = None, evidence: _evidence.Sink | None = None) -> RunResult:
    """Check the data against the contract in one pass. `evidence`: a writer handed every check's findings
    (engine/evidence.py) after the run is assembled and masked; the gate errs when it fails."""
    run = options or RunOptions(limit=limit)
    with run_spill_dir(run.max_memory_mib is not None):  # findings written to disk are read back for the evidence
        result, validators, states, files = _validate(contract, data, run, show_progress, evidence is not None)
        if evidence is not None:
            t0 = time.perf_counter()
            shown = {f.path: info.path for f, info in zip(files, result.dataset.files)}
            records = _evidence.findings(validators, states, result.checks, shown)
            result.gate = _evidence.write(evidence, records, result.gate)
            result.timings["evidence"] = time.perf_counter() - t0
    return result


def _validate(contract: Contract, data: list[str], run: RunOptions, show_progress: bool, findings: bool,
              ) -> tuple[RunResult, list[Validator[Any, Any]], list[Any], list[SourceFile]]:
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    base_dir = os.path.dirname(contract.source_path) if contract.source_path else None
    exclude = (*contract.dataset.exclude, *run.exclude)
    files, skipped = resolve_all(data, contract.dataset.splits, base_dir, exclude)
    validators = build_validators(contract, check_ids(contract), findings)
    columns = {c for v in validators for c in v.columns()} | _stats_columns(contract) | needed_columns(validators)
    with ThreadPoolExecutor(max_workers=1) as hasher, Progress(show_progress, files) as progress:
        ray_start = start_ray(run.address) if run.engine == "ray" and run.limit is None else None
        hashes: list[Future[str]] = [hasher.submit(sha256_file, f) for f in files]
        folded, failed_shards, shard_count = _fold_all(contract, validators, files, columns, run, progress)
        for index, count, sample in folded.types.faults([f.path for f in files]):
            folded.faults.add_counted("type_mismatch", index, count, sample)
        judge(validators, folded.errors, folded.presence, files)  # a check whose field no row holds errs
        read_seconds = time.perf_counter() - t0
        looked = [_wanted(v, s, e) for v, s, e in zip(validators, folded.states, folded.errors)]
        wanted = set().union(*(w for w, _ in looked))
        rows = fetch_rows(files, columns, wanted, folded.blocks) if wanted else {}
        results = [_finish(v, s, e, rows) for v, s, (_, e) in zip(validators, folded.states, looked)]
        fault_samples = folded.faults.samples(files)
        file_infos = [FileInfo(path=f.path, split=f.split, format=f.format, bytes=f.size, sha256=h.result(),
                               absolute_path=f.path if "://" in f.path else os.path.abspath(f.path),
                               rows=folded.rows_per_file[i], bad_records=folded.faults.per_file.get(i, 0))
                      for i, (f, h) in enumerate(zip(files, hashes))]
    problems = [f"shard {s} could not be read" for s in failed_shards] + ([folded.stopped] if folded.stopped else [])
    problems += [] if folded.rows else [NO_ROWS]
    if too_long := folded.faults.by_kind.get("line_too_long", 0):  # not read at all: the verdict cannot rest on it
        problems.append(f"{too_long} line(s) longer than TRAINGATE_MAX_LINE_BYTES were not read")
    dataset = _dataset_info(contract, file_infos, folded, fault_samples, run, shard_count, failed_shards)
    dataset.skipped_files = [SkippedFile(path=s.path, reason=s.reason) for s in skipped]
    dataset.inputs = given_inputs(data, contract.dataset.splits, base_dir)
    dataset.exclude = absolute_exclusions(exclude)
    gate = decide(results, contract.gate.fail_on, folded.faults.total, contract.gate.max_bad_records, problems)
    timings = {"total": time.perf_counter() - t0, "read_and_check": read_seconds,
               **({"ray_start": ray_start} if ray_start is not None else {})}
    timings.update({v.check_id: s for v, s in zip(validators, folded.seconds)})
    result = RunResult(tool_version=__version__, run_id=uuid.uuid4().hex, started_at=started.isoformat(),
                     finished_at=datetime.now(UTC).isoformat(),
                     contract=ContractInfo(name=contract.contract, version=contract.version, sha256=contract.sha256,
                                           path=contract.source_path, description=contract.description,
                                           side_files=side_files(validators)),
                     dataset=dataset, checks=results, gate=gate,
                     distributions=with_limits(StatsCollector().finalize(folded.stats), folded.stats, validators),
                     timings=timings, resources={"peak_rss_mib": round(peak_rss_mib(), 1),
                                                 "worker_peak_rss_mib": round(folded.worker_rss_mib, 1)})
    _mask_reports(validators, result)
    return result, validators, folded.states, files


def _dataset_info(contract: Contract, file_infos: list[FileInfo], folded: Folded, fault_samples: list[Fault],
                  run: RunOptions, shard_count: int, failed_shards: list[str]) -> DatasetInfo:
    faults = folded.faults
    return DatasetInfo(kind=contract.dataset.kind, files=file_infos, rows=folded.rows,
                       fingerprint=hashlib.sha256("".join(fi.sha256 for fi in file_infos).encode()).hexdigest(),
                       bad_records=faults.total, faults=fault_samples, fault_counts=dict(sorted(faults.by_kind.items())),
                       limited_to=run.limit if run.limit is not None and folded.rows >= run.limit else None,
                       tokenizer=get_tokenizer(contract.dataset.tokenizer).name, text_fields=_text_fields(contract),
                       shards=shard_count, errored_shards=failed_shards, stopped_early=folded.stopped,
                       memory_actions=folded.memory_actions)


def _mask_reports(validators: list[Validator[Any, Any]], run: RunResult) -> None:
    """Checks that guard against what text may hold (personal data, secrets) mask every text of the run
    that data can reach (data/masking.py), each check's own findings first; the count goes into that
    check's details."""
    from traingate.data.masking import mask_run
    from traingate.validators.common.capabilities import MasksExcerpts

    by_id = {r.id: r for r in run.checks}
    for validator in validators:
        if isinstance(validator, MasksExcerpts):
            by_id[validator.check_id].details["masked_excerpts"] = mask_run(run, validator.mask_texts)


def _stats_columns(contract: Contract) -> set[str]:
    from traingate.contracts.model import TEXT_FIELDS
    return {contract.dataset.column(f).split(".")[0] for f in TEXT_FIELDS[contract.dataset.kind]}


def _text_fields(contract: Contract) -> list[str]:
    """The text fields read: the kind's required ones and the optional ones the contract maps."""
    from traingate.contracts.model import KIND_FIELDS, TEXT_FIELDS
    ds = contract.dataset
    wanted = [f for f in TEXT_FIELDS[ds.kind] if f in KIND_FIELDS[ds.kind][0] or f in ds.fields]
    return [f"{f} -> {ds.column(f)}" for f in wanted]
