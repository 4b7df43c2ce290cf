"""Where rows come from: their licence (SPDX identifiers against allow and deny lists) and lineage
(required provenance columns, the share of synthetic rows, generators whose terms forbid training)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from traingate import empty
from traingate.contracts.model import CheckConfig, StrictModel
from traingate.data.batch import BatchContext, TextView
from traingate.results.details import Absent
from traingate.results.model import CheckResult
from traingate.validators.common.details import FlagDetails
from traingate.validators.common.flags import FlagState, Hit, RowFlagValidator
from traingate.validators.common.registry import check


class LicenceCheck(CheckConfig):
    summary: ClassVar[str] = "SPDX licence per row: missing, denied, or not in the allowed list"
    type: Literal["licence"]
    column: str = Field("license", description="Column (dots for nested paths) holding an SPDX identifier.")
    allow: list[str] = Field(default_factory=empty.list_, description="SPDX identifiers allowed; empty: any not denied.")
    deny: list[str] = Field(default_factory=empty.list_, description="SPDX identifiers never allowed.")


SYNTHETIC_VALUES: list[str | bool | int] = [True, "true", "yes", 1, "synthetic"]


class SyntheticSpec(StrictModel):
    column: str = Field(description="Column telling whether a row is synthetic.")
    values: list[str | bool | int] = Field(default_factory=lambda: list(SYNTHETIC_VALUES),
                                           description="Values of `column` that mean synthetic.")
    max_share: float = Field(ge=0, le=1, description="Largest share of synthetic rows allowed.")


class LineageCheck(CheckConfig):
    summary: ClassVar[str] = "provenance per row: required fields, share of synthetic rows, denied generators"
    type: Literal["lineage"]
    required: list[str] = Field(default_factory=empty.list_, description="Columns every row must fill (source, ...).")
    synthetic: SyntheticSpec | None = None
    generator_column: str = Field("generator", description="Column naming the model that wrote the row.")
    deny_generators: list[str] = Field(default_factory=empty.list_,
                                       description="Models whose terms forbid training on their outputs; "
                                                   "matched case-insensitively as substrings of the generator.")


class LineageDetails(FlagDetails):
    """Rows per missing provenance column or denied generator (`by_reason`); with `synthetic`, the share of
    synthetic rows against its limit."""

    synthetic_rows: Absent[int] = Field(None, description="Rows whose `synthetic.column` holds a synthetic value "
                                        "(with `synthetic` only).")
    synthetic_share: Absent[float] = Field(None, description="synthetic_rows / rows (with `synthetic` only).")
    max_synthetic_share: Absent[float] = Field(None, description="The largest share allowed, `synthetic.max_share` "
                                               "(with `synthetic` only).")


def text_column(batch: BatchContext, path: str) -> pa.Array:
    """A column as trimmed strings; a column the batch lacks reads as all null."""
    column = batch.column(path)
    if column is None or pa.types.is_null(column.type):
        return pa.nulls(batch.num_rows, pa.string())
    return pc.utf8_trim_whitespace(column.cast(pa.string()))


def blank(values: pa.Array) -> np.ndarray:
    return np.asarray(pc.or_kleene(pc.is_null(values), pc.equal(values, "")).fill_null(True), dtype=bool)


@check("licence", group="compliance", options=LicenceCheck, details=FlagDetails)
class LicenceValidator(RowFlagValidator[LicenceCheck]):
    noun = "with a missing or disallowed licence"

    def columns(self) -> set[str]:
        return {self.config.column.split(".")[0]}

    def reads(self) -> list[str]:
        return []

    def reads_columns(self) -> list[str]:
        return [self.config.column]

    def find(self, batch: BatchContext) -> list[Hit]:
        values = text_column(batch, self.config.column)
        view = TextView(self.config.column, values, None)
        lowered = pc.utf8_lower(values)
        missing = blank(values)
        denied = ~missing & _isin(lowered, self.config.deny)
        hits = [Hit("missing_licence", missing, view), Hit("denied_licence", denied, view)]
        if self.config.allow:
            hits.append(Hit("licence_not_allowed", ~missing & ~denied & ~_isin(lowered, self.config.allow), view))
        return hits


def _isin(lowered: pa.Array, names: list[str]) -> np.ndarray:
    wanted = pa.array([n.strip().lower() for n in names], pa.string())
    return np.asarray(pc.is_in(lowered, value_set=wanted).fill_null(False), dtype=bool)


@check("lineage", group="compliance", options=LineageCheck, details=LineageDetails)
class LineageValidator(RowFlagValidator[LineageCheck]):
    noun = "with missing provenance or a denied generator"

    def columns(self) -> set[str]:
        config = self.config
        paths = [*config.required, config.generator_column] + ([config.synthetic.column] if config.synthetic else [])
        return {p.split(".")[0] for p in paths}

    def reads(self) -> list[str]:
        return []

    def reads_columns(self) -> list[str]:
        """`required` columns in no row are this check's own finding (every row lacks them), as in schema."""
        config = self.config
        generator = [config.generator_column] if config.deny_generators else []
        return generator + ([config.synthetic.column] if config.synthetic else [])

    def find(self, batch: BatchContext) -> list[Hit]:
        hits = [Hit(f"missing_{name}", blank(text_column(batch, name)), TextView(name, text_column(batch, name), None))
                for name in self.config.required]
        if self.config.deny_generators:
            generators = text_column(batch, self.config.generator_column)
            lowered = pc.utf8_lower(generators)
            denied = np.zeros(batch.num_rows, dtype=bool)
            for name in self.config.deny_generators:
                denied |= np.asarray(pc.match_substring(lowered, name.lower()).fill_null(False), dtype=bool)
            hits.append(Hit("denied_generator", denied, TextView(self.config.generator_column, generators, None)))
        return hits

    def tally(self, batch: BatchContext) -> Counter[str] | None:
        if self.config.synthetic is None:
            return None
        values = pc.utf8_lower(text_column(batch, self.config.synthetic.column))
        wanted = pa.array(sorted({str(v).lower() for v in self.config.synthetic.values}), pa.string())
        return Counter(synthetic=int(pc.sum(pc.is_in(values, value_set=wanted).fill_null(False)).as_py() or 0))

    def details(self, state: FlagState) -> LineageDetails:
        by_reason = super().details(state).by_reason
        if self.config.synthetic is None:
            return LineageDetails(by_reason=by_reason)
        synthetic = state.tally["synthetic"]
        return LineageDetails(by_reason=by_reason, synthetic_rows=synthetic,
                              synthetic_share=synthetic / state.rows if state.rows else 0.0,
                              max_synthetic_share=self.config.synthetic.max_share)

    def finalize(self, state: FlagState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        result = super().finalize(state, rows)
        if self.config.synthetic is None:
            return result
        synthetic = state.tally["synthetic"]
        share = synthetic / state.rows if state.rows else 0.0
        over = share > self.config.synthetic.max_share
        result.message += f"; {share:.1%} synthetic rows (at most {self.config.synthetic.max_share:.1%})"
        if over:
            result.status = "failed"
        return result
