"""The record schema: column presence, dtype and nullability on Arrow, value rules on Arrow compute where
pandera's semantics are matched exactly and through pandera where not (schema_arrow.py), uniqueness over
the whole dataset from 16 bytes per row (an xxh64 of the value and the row's identity); under
`--max-memory`, uniqueness writes them to disk split by hash and counts the repeats part by part, exactly
(validators/common/partitioned.py). What `unique` holds and how its repeats are counted is in schema_unique.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from traingate.contracts.model import CheckConfig
from traingate.data.arrays import bools
from traingate.data.batch import BatchContext
from traingate.results.model import CheckResult, Sample
from traingate.validators.common.capabilities import SpillsRows
from traingate.validators.common.details import FlagDetails
from traingate.validators.common.flags import FlagState, Hit, RowFlagValidator
from traingate.validators.common.registry import check
from traingate.validators.common.thresholds import judge
from traingate.validators.format.pandera_bridge import ColumnSpec
from traingate.validators.format.schema_arrow import failing_rows
from traingate.validators.format.schema_unique import SchemaState, add_unique, merge_unique, repeated_values


class SchemaCheck(CheckConfig):
    summary: ClassVar[str] = ("record schema with pandera's semantics: dtype, required, nullable, regex, isin, lengths, "
                              "bounds, unique")
    type: Literal["schema"]
    regex_options: ClassVar[tuple[tuple[str, ...], ...]] = (("columns", "*", "regex"),)
    columns: dict[str, ColumnSpec] = Field(min_length=1)


class SchemaDetails(FlagDetails):
    """Rows per schema finding (`by_reason`: missing_column:<c>, dtype:<c>, null:<c>, <rule>:<c>, and
    unique:<c> counting every repeat of an earlier value), and the columns the schema names."""

    columns: list[str] = Field(description="The columns the contract's schema names, in its order.")

INTEGER = r"^\s*[-+]?\d+\s*$"
FLOAT = r"^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$"


def dtype_ok(spec: ColumnSpec, array: pa.Array) -> np.ndarray | bool:
    """True where the value has the declared dtype; CSV text counts as numeric when it parses."""
    t = array.type
    if spec.dtype == "any" or pa.types.is_null(t):
        return True
    if pa.types.is_string(t) and spec.dtype in ("int", "float", "number"):
        pattern = INTEGER if spec.dtype == "int" else FLOAT
        parsed: np.ndarray = bools(pc.match_substring_regex(array, pattern)) | ~bools(array.is_valid())
        return parsed
    kinds: dict[str, bool] = {
        "string": pa.types.is_string(t) or pa.types.is_large_string(t),
        "int": pa.types.is_integer(t),
        "float": pa.types.is_floating(t) or pa.types.is_integer(t),
        "number": pa.types.is_floating(t) or pa.types.is_integer(t),
        "bool": pa.types.is_boolean(t),
        "list": pa.types.is_list(t) or pa.types.is_large_list(t),
        "struct": pa.types.is_struct(t) or pa.types.is_map(t),
    }
    return kinds[spec.dtype]


@check("schema", group="format", options=SchemaCheck, details=SchemaDetails)
class SchemaValidator(RowFlagValidator[SchemaCheck], SpillsRows[SchemaState]):
    spills = "values' hashes"
    preload = ()  # pandera loads on first use, only for a value rule Arrow cannot match exactly
    noun = "breaking the record schema"

    def columns(self) -> set[str]:
        return {name.split(".")[0] for name in self.config.columns}

    def reads(self) -> list[str]:
        return []  # a required column in no row is this check's own finding, not an error

    def create_state(self) -> SchemaState:
        return SchemaState()

    def find(self, batch: BatchContext) -> list[Hit]:
        hits: list[Hit] = []
        present: dict[str, pa.Array] = {}
        for name, spec in self.config.columns.items():
            array = batch.column(name)
            if array is None:
                if spec.required:
                    hits.append(Hit(f"missing_column:{name}", np.ones(batch.num_rows, dtype=bool),
                                    note=f"column {name!r} is absent"))
                continue
            ok = dtype_ok(spec, array)
            if ok is not True:
                bad = ~np.asarray(ok, dtype=bool) & bools(array.is_valid())
                hits.append(Hit(f"dtype:{name}", bad, note=f"{name} is not {spec.dtype} ({array.type})"))
            if not spec.nullable:
                hits.append(Hit(f"null:{name}", bools(array.is_null()),
                                note=f"{name} is missing or null"))
            present[name] = array
        for (name, rule), rows in failing_rows(self.config.columns, present, batch.num_rows).items():
            hits.append(Hit(f"{rule}:{name}", rows, note=f"{name} fails {rule}"))
        return hits

    def add_batch(self, state: FlagState, batch: BatchContext) -> FlagState:
        assert isinstance(state, SchemaState)
        super().add_batch(state, batch)
        state.files[batch.file_index] = (batch.file, batch.unit)
        add_unique(state, self.config.columns, batch)
        return state

    def spill(self, state: SchemaState) -> tuple[SchemaState, int]:
        """Write the value hashes held in memory to disk, split by hash: called when memory runs short."""
        return state, sum(table.spill() for table in state.unique.values())

    def take_back(self, state: SchemaState) -> SchemaState:
        for table in state.unique.values():
            table.load()
        return state

    def merge_states(self, a: FlagState, b: FlagState) -> FlagState:
        assert isinstance(a, SchemaState) and isinstance(b, SchemaState)
        return merge_unique(super().merge_states(a, b), a, b)

    def finalize(self, state: FlagState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        assert isinstance(state, SchemaState)
        duplicates, samples = repeated_values(state, self.keeps_findings)
        findings = state.flagged + sum(duplicates.values())
        verdict = judge(self.config, state.rows, findings)
        reasons = dict(sorted((state.reasons + Counter({f"unique:{k}": v for k, v in duplicates.items()})).items()))
        shown = state.samples.copy()  # the repeated values join the reservoir, each unique column a reason
        for key, sample in samples:
            shown.add(key, sample)
        rate = findings / state.rows if state.rows else 0.0
        return self.result(status=verdict.status, metric=verdict.metric, value=verdict.value,
                           threshold=verdict.threshold, rows=state.rows, findings=findings, rate=rate,
                           message=f"{findings} schema findings in {state.rows} rows ({rate:.2%})",
                           details=SchemaDetails(by_reason=reasons, columns=list(self.config.columns)).dump(),
                           samples=[Sample(**s) for s in shown.samples()])
