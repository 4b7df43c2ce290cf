"""The common shape of most checks: flag rows, count them per reason, keep samples, apply a threshold.
What a check finds in a batch, a `Hit`, and what is read of one (its rows, values, sample) are in hits.py."""

from __future__ import annotations

from abc import abstractmethod
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from traingate.contracts.model import CheckConfig
from traingate.data.batch import BatchContext
from traingate.results.model import CheckResult, Sample
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings
from traingate.validators.common.details import FlagDetails
from traingate.validators.common.findings import Findings, Kind
from traingate.validators.common.hits import Hit, measured, row_values, rows_of, sample_of, turn_of
from traingate.validators.common.samples import Reservoir, row_keys
from traingate.validators.common.thresholds import judge

__all__ = ["MEASURED", "C", "FlagState", "Hit", "RowFlagValidator", "measured", "turn_of"]

C = TypeVar("C", bound=CheckConfig)
MEASURED: tuple[tuple[str, Kind], ...] = (("value", "float"),)  # a finding's number besides row, reason, field


@dataclass
class FlagState:
    rows: int = 0
    flagged: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    samples: Reservoir = field(default_factory=Reservoir)
    tally: Counter[str] = field(default_factory=Counter)  # what `tally` counts besides findings
    findings: Findings = field(default_factory=lambda: Findings(MEASURED))  # every row at fault, when kept


class RowFlagValidator(Validator[C, FlagState], ListsFindings[FlagState]):
    """Subclasses say what is wrong in a batch (`find`); this class does the bookkeeping."""

    noun: str = "with a finding"

    @abstractmethod
    def find(self, batch: BatchContext) -> list[Hit]: ...

    def tally(self, batch: BatchContext) -> Counter[str] | None:
        """Counts a check reports beside its findings (languages seen, synthetic rows); none by default."""
        return None

    def create_state(self) -> FlagState:
        return FlagState()

    def add_batch(self, state: FlagState, batch: BatchContext) -> FlagState:
        return self.add_hits(state, batch, self.find(batch))

    def add_hits(self, state: FlagState, batch: BatchContext, hits: list[Hit]) -> FlagState:
        flagged = np.zeros(batch.num_rows, dtype=bool)
        hit_rows = []
        by_reason: dict[str, np.ndarray] = {}
        for hit in hits:
            rows = rows_of(hit, batch.num_rows)
            hit_rows.append(rows)
            by_reason[hit.reason] = by_reason[hit.reason] | rows if hit.reason in by_reason else rows
            flagged |= rows
        for reason, rows in by_reason.items():
            if rows.any():
                state.reasons[reason] += int(rows.sum())
        state.rows += batch.num_rows
        state.flagged += int(flagged.sum())
        state.tally.update(self.tally(batch) or Counter())
        self._keep_findings(state, batch, hits, hit_rows)
        positions = np.flatnonzero(flagged)
        if len(positions):
            first = int(positions[0])
            state.samples.note_first(int(batch.row_ids(positions[:1])[0]), lambda: {
                "file": batch.file, "line": int(batch.lines[first]), "unit": batch.unit})
            self._keep_samples(state.samples, batch, list(zip(hits, hit_rows)), positions, by_reason)
        return state

    def _keep_samples(self, samples: Reservoir, batch: BatchContext, found: list[tuple[Hit, np.ndarray]],
                      positions: np.ndarray, by_reason: dict[str, np.ndarray]) -> None:
        """The flagged rows of smallest key, each shown by its first hit; then, for each reason, its row of
        smallest key, shown by that reason's hit (a reason of one row in millions keeps its sample)."""
        keys = row_keys(batch.row_ids(positions))
        for pos in samples.candidates(keys):
            row = int(positions[pos])
            hit = next(h for h, rows in found if rows[row])
            samples.add(int(keys[pos]), self._sample(batch, hit, row))
        key_of = np.zeros(batch.num_rows, dtype=np.uint64)
        key_of[positions] = keys
        for reason, rows in by_reason.items():
            at = np.flatnonzero(rows)
            if len(at) == 0:
                continue
            row = int(at[np.argmin(key_of[at])])
            if samples.wants(int(key_of[row]), reason):
                hit = next(h for h, rows in found if h.reason == reason and rows[row])
                samples.add_reason(int(key_of[row]), self._sample(batch, hit, row))

    def _sample(self, batch: BatchContext, hit: Hit, row: int) -> dict[str, object]:
        """The row's excerpt around the finding (hits.py); a check may show its own (compliance/policy.py)."""
        return sample_of(batch, hit, row)

    def merge_states(self, a: FlagState, b: FlagState) -> FlagState:
        return FlagState(a.rows + b.rows, a.flagged + b.flagged, a.reasons + b.reasons, a.samples.merge(b.samples),
                         a.tally + b.tally, a.findings.merge(b.findings))

    def _keep_findings(self, state: FlagState, batch: BatchContext, hits: list[Hit], hit_rows: list[np.ndarray]) -> None:
        """Every row of the batch found at fault, once per reason (in the field of the first hit finding it)."""
        if not self.keeps_findings:
            return
        state.findings.note_file(batch.file_index, batch.file, batch.unit)
        taken: dict[str, np.ndarray] = {}
        for hit, rows in zip(hits, hit_rows):
            seen = taken.setdefault(hit.reason, np.zeros(batch.num_rows, dtype=bool))
            new = rows & ~seen
            seen |= new
            at = np.flatnonzero(new)
            state.findings.add(batch.row_ids(at), hit.reason, hit.view.field if hit.view else None,
                               hit.measure if hit.values is not None else None, value=row_values(hit, batch.num_rows)[at])

    def findings(self, state: FlagState) -> Iterator[dict[str, Any]]:
        return state.findings.records()

    def spill_findings(self, state: FlagState) -> tuple[FlagState, int]:
        return state, state.findings.spill()

    def take_back_findings(self, state: FlagState) -> FlagState:
        state.findings.load()
        return state

    def details(self, state: FlagState) -> FlagDetails:
        """The result's details: rows per reason; a check that reports more returns its own FlagDetails."""
        return FlagDetails(by_reason=dict(sorted(state.reasons.items())))

    def finalize(self, state: FlagState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        verdict = judge(self.config, state.rows, state.flagged)
        rate = state.flagged / state.rows if state.rows else 0.0
        message = f"{state.flagged:,} of {state.rows:,} rows {self.noun} ({rate:.2%})"
        return self.result(status=verdict.status, metric=verdict.metric, value=verdict.value,
                           threshold=verdict.threshold, rows=state.rows, findings=state.flagged, rate=rate,
                           message=message, details=self.details(state).dump(),
                           samples=[Sample(**s) for s in state.samples.samples()],
                           first_failure=state.samples.first_location())
