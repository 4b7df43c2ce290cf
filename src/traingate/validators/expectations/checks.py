"""Embedded Great Expectations: traingate computes the metrics in its one pass (exact counts for row-level
expectations, mergeable statistics for aggregates, a seeded sample for quantiles) and GX's own `_validate`
of the expectation decides success, so `mostly`, strictness and vacuous truth are GX's. What an expectation
holds while it reads is in state.py, how it is judged in judge.py."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa

from traingate.contracts.expectations import (
    CoverageExpectation,
    ExpectationCheck,
    FormatExpectation,
    QuantityExpectation,
    UniquenessExpectation,
)
from traingate.contracts.gx_args import GxArgs
from traingate.data.batch import BatchContext
from traingate.errors import require
from traingate.results.model import CheckResult, Sample, Threshold
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings
from traingate.validators.common.registry import check
from traingate.validators.common.samples import seeded_keys
from traingate.validators.expectations.judge import (
    BY_HASH,
    BY_VALUE,
    MOMENTS,
    SAMPLED,
    ExpectationDetails,
    judge_expectation,
)
from traingate.validators.expectations.rows import PREDICATES, missing
from traingate.validators.expectations.state import ExpectationState, keep_samples, new_state


class ExpectationValidator(Validator[ExpectationCheck, ExpectationState], ListsFindings[ExpectationState]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # GX judges the result: without it, the run stops before reading
        named = "" if self.config.expectation in self.check_id else f" ({self.config.expectation})"
        require(f"the expectation check {self.check_id!r}{named}", "gx")

    @cached_property
    def _args(self) -> GxArgs:
        """The expectation's arguments as their model, parsed once rather than per batch."""
        return self.config.args()

    def _column(self) -> str | None:
        column = self.config.kwargs.get("column")
        return str(column) if column is not None else None

    def columns(self) -> set[str]:
        column = self._column()
        return {column.split(".")[0]} if column else set()

    def reads(self) -> list[str]:
        return []

    def reads_columns(self) -> list[str]:
        column = self._column()  # expect_column_to_exist judges the column's absence itself
        return [column] if column and self.config.expectation != "expect_column_to_exist" else []

    def create_state(self) -> ExpectationState:
        return new_state(self.config)

    def add_batch(self, state: ExpectationState, batch: BatchContext) -> ExpectationState:
        state.rows += batch.num_rows
        column = self._column()
        if column is None:
            return state
        array = batch.column(column)
        if array is None:
            state.missing += batch.num_rows
            return state
        state.present = True
        gone = missing(array)
        state.missing += int(gone.sum())
        if self.keeps_findings and self.config.expectation == "expect_column_values_to_not_be_null":
            self._keep(state, batch, np.flatnonzero(gone), "null")
        positions = np.flatnonzero(~gone)
        values = array.take(pa.array(positions)).to_pylist() if len(positions) < len(array) else array.to_pylist()
        self._fold(state, batch, positions, values)
        return state

    def _fold(self, state: ExpectationState, batch: BatchContext, positions: np.ndarray, values: list[Any]) -> None:
        name = self.config.expectation
        predicate = PREDICATES.get(name)
        if predicate is not None:
            bad = predicate(values, self._args)
            state.unexpected += int(bad.sum())
            if self.keeps_findings:
                self._keep(state, batch, positions[bad], "unexpected")
            keep_samples(state.samples, batch, positions[bad], [v for v, b in zip(values, bad) if b], name)
        if name in BY_HASH or name in BY_VALUE:
            state.distinct.add(values, keep_values=name in BY_VALUE)
        if name in MOMENTS or name in SAMPLED:
            numbers = np.array(values, dtype=np.float64)
            state.moments.add(numbers)
            if state.sample is not None:
                seed = self.config.sample.seed if self.config.sample else 0
                state.sample.add(seeded_keys(batch.row_ids(positions), seed), numbers)

    def _keep(self, state: ExpectationState, batch: BatchContext, positions: np.ndarray, reason: str) -> None:
        state.findings.note_file(batch.file_index, batch.file, batch.unit)
        state.findings.add(batch.row_ids(positions), reason, self._column())

    def findings(self, state: ExpectationState) -> Iterator[dict[str, Any]]:
        return state.findings.records()

    def spill_findings(self, state: ExpectationState) -> tuple[ExpectationState, int]:
        return state, state.findings.spill()

    def take_back_findings(self, state: ExpectationState) -> ExpectationState:
        state.findings.load()
        return state

    def merge_states(self, a: ExpectationState, b: ExpectationState) -> ExpectationState:
        return a.merge(b)

    def finalize(self, state: ExpectationState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        verdict = judge_expectation(self.config, state)
        mostly = self.config.kwargs.get("mostly")
        samples = [Sample(**s) for s in state.samples.samples()]
        return self.result(status=verdict.status, metric=verdict.metric, value=verdict.value,
                           threshold=Threshold(kind="min_share", value=mostly) if mostly is not None else None,
                           rows=state.rows, findings=verdict.findings,
                           rate=verdict.findings / state.rows if state.rows else None, message=verdict.message,
                           details=verdict.details.dump(), samples=samples, error=verdict.error)


@check("expectation", group="format", options=FormatExpectation, details=ExpectationDetails)
class FormatExpectationValidator(ExpectationValidator):
    """Expectations the contract lists under format."""


@check("expectation", group="uniqueness", options=UniquenessExpectation, details=ExpectationDetails)
class UniquenessExpectationValidator(ExpectationValidator):
    """Expectations the contract lists under uniqueness."""


@check("expectation", group="quantity", options=QuantityExpectation, details=ExpectationDetails)
class QuantityExpectationValidator(ExpectationValidator):
    """Expectations the contract lists under quantity."""


@check("expectation", group="coverage", options=CoverageExpectation, details=ExpectationDetails)
class CoverageExpectationValidator(ExpectationValidator):
    """Expectations the contract lists under coverage."""
