"""One pass over the data: every chunk goes to every validator; states are finalized into a RunResult."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from traingate import validators as _validators  # noqa: F401  (registers the built-in checks)
from traingate.contracts.model import Contract
from traingate.engine.batch import BatchContext
from traingate.engine.faults import FaultLog
from traingate.engine.lookup import fetch_rows
from traingate.engine.prefetch import prefetch
from traingate.engine.progress import Progress
from traingate.engine.readers import Chunk, open_raw, read_source
from traingate.engine.sources import SourceFile, resolve
from traingate.engine.tokenizers import get_tokenizer
from traingate.results.gate import decide
from traingate.results.model import CheckResult, ContractInfo, DatasetInfo, Fault, FileInfo, RunResult
from traingate.validators.base import Validator
from traingate.validators.registry import build
from traingate.validators.stats import StatsCollector
from traingate.version import __version__


def check_ids(contract: Contract) -> list[str]:
    seen: dict[str, int] = {}
    ids = []
    for check in contract.all_checks():
        base = check.name or f"{check.group}.{check.type}"
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return ids


@dataclass
class Slot:
    """A validator and its running state; an exception turns the slot into an errored result."""

    validator: Validator[Any, Any]
    state: Any
    error: str | None = None
    seconds: float = 0.0

    def feed(self, batch: BatchContext) -> None:
        if self.error is not None:
            return
        start = time.perf_counter()
        try:
            self.state = self.validator.add_batch(self.state, batch)
        except Exception as exc:
            self.error = f"validator_crashed: {type(exc).__name__}: {exc}"
        self.seconds += time.perf_counter() - start

    def wanted(self) -> set[int]:
        if self.error is not None:
            return set()
        try:
            return set(self.validator.wanted_rows(self.state))
        except Exception as exc:
            self.error = f"finalize_crashed: {type(exc).__name__}: {exc}"
            return set()

    def finish(self, rows: dict[int, dict[str, Any]]) -> CheckResult:
        if self.error is None:
            try:
                return self.validator.finalize(self.state, rows)
            except Exception as exc:
                self.error = f"finalize_crashed: {type(exc).__name__}: {exc}"
        return self.validator.result(status="errored", error=self.error, message=self.error)


def sha256_file(source: SourceFile) -> str:
    digest = hashlib.sha256()
    with open_raw(source) as raw:
        while block := raw.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def _chunks(files: list[SourceFile], columns: set[str] | None, limit: int | None,
            progress: Progress) -> Iterator[tuple[int, Chunk]]:
    remaining = limit
    for index, source in enumerate(files):
        with open_raw(source) as raw:
            progress.start_file(source, raw)
            for chunk in read_source(source, columns, raw):
                if remaining is not None:
                    if remaining <= 0:
                        return
                    if chunk.table.num_rows > remaining:
                        chunk.table, chunk.lines = chunk.table.slice(0, remaining), chunk.lines[:remaining]
                    remaining -= chunk.table.num_rows
                progress.update(chunk.table.num_rows)
                yield index, chunk


def validate(contract: Contract, data: list[str], *, limit: int | None = None, show_progress: bool = False) -> RunResult:
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    base_dir = os.path.dirname(contract.source_path) if contract.source_path else None
    files = resolve(data, contract.dataset.splits, base_dir)
    ids = check_ids(contract)
    validators = [build(c, contract.dataset, i, base_dir) for c, i in zip(contract.all_checks(), ids)]
    slots = [Slot(v, v.create_state()) for v in validators]
    tokenizer = get_tokenizer(contract.dataset.tokenizer)
    stats = StatsCollector()
    stats_state = stats.create_state()
    columns = {c for s in slots for c in s.validator.columns()} | _stats_columns(contract)
    faults = FaultLog()
    rows_per_file = [0] * len(files)
    offset = 0
    workers = max(1, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=1) as hasher, ThreadPoolExecutor(max_workers=workers) as pool, \
            Progress(show_progress, files) as progress:
        hashes: list[Future[str]] = [hasher.submit(sha256_file, f) for f in files]
        for index, chunk in prefetch(_chunks(files, columns, limit, progress)):
            faults.add(chunk.faults, index)
            batch = BatchContext(chunk.table, contract.dataset, tokenizer, file=files[index].path, file_index=index,
                                 lines=chunk.lines, unit=chunk.unit, split=files[index].split, row_offset=offset)
            offset += batch.num_rows
            rows_per_file[index] += batch.num_rows
            stats_state = stats.add_batch(stats_state, batch)  # also fills the shared length caches
            list(pool.map(Slot.feed, slots, [batch] * len(slots)))
        read_seconds = time.perf_counter() - t0
        wanted = set().union(*(slot.wanted() for slot in slots))
        rows = fetch_rows(files, columns, wanted) if wanted else {}
        results = [slot.finish(rows) for slot in slots]
        fault_samples = faults.samples(files)
        _mask_reports(validators, results, fault_samples)
        file_infos = [FileInfo(path=f.path, split=f.split, format=f.format, bytes=f.size, sha256=h.result(),
                               rows=rows_per_file[i], bad_records=faults.per_file.get(i, 0))
                      for i, (f, h) in enumerate(zip(files, hashes))]
    fingerprint = hashlib.sha256("".join(fi.sha256 for fi in file_infos).encode()).hexdigest()
    dataset = DatasetInfo(kind=contract.dataset.kind, files=file_infos, rows=offset, fingerprint=fingerprint,
                          bad_records=faults.total, faults=fault_samples, fault_counts=dict(faults.by_kind),
                          limited_to=limit if limit is not None and offset >= limit else None,
                          tokenizer=tokenizer.name, text_fields=_text_fields(contract))
    gate = decide(results, contract.gate.fail_on, faults.total, contract.gate.max_bad_records)
    timings = {"total": time.perf_counter() - t0, "read_and_check": read_seconds}
    timings.update({s.validator.check_id: s.seconds for s in slots})
    return RunResult(tool_version=__version__, run_id=uuid.uuid4().hex, started_at=started.isoformat(),
                     finished_at=datetime.now(UTC).isoformat(),
                     contract=ContractInfo(name=contract.contract, version=contract.version, sha256=contract.sha256,
                                           path=contract.source_path, description=contract.description),
                     dataset=dataset, checks=results, distributions=stats.finalize(stats_state), gate=gate,
                     timings=timings)


def _mask_reports(validators: list[Validator[Any, Any]], results: list[CheckResult], faults: list[Fault]) -> None:
    """Checks that guard against what text may hold (personal data, secrets) mask every excerpt that
    reporters will show, each check's own findings first; the count goes into that check's details."""
    from traingate.engine.masking import mask_excerpts
    from traingate.validators.base import MasksExcerpts

    by_id = {r.id: r for r in results}
    for validator in validators:
        if isinstance(validator, MasksExcerpts):
            by_id[validator.check_id].details["masked_excerpts"] = mask_excerpts(results, faults, validator.mask_texts)


def _stats_columns(contract: Contract) -> set[str]:
    from traingate.contracts.model import TEXT_FIELDS
    return {contract.dataset.column(f).split(".")[0] for f in TEXT_FIELDS[contract.dataset.kind]}


def _text_fields(contract: Contract) -> list[str]:
    """The text fields read: the kind's required ones and the optional ones the contract maps."""
    from traingate.contracts.model import KIND_FIELDS, TEXT_FIELDS
    ds = contract.dataset
    wanted = [f for f in TEXT_FIELDS[ds.kind] if f in KIND_FIELDS[ds.kind][0] or f in ds.fields]
    return [f"{f} -> {ds.column(f)}" for f in wanted]
