"""The schema check's column options, and pandera's `Check`s for them: exported by `export --as pandera`, and run
column by column on a batch for the value rules Arrow cannot match exactly (schema_arrow.py). The checks are
called directly (no DataFrameSchema around them): the same pandera semantics, without the schema machinery's
fixed cost of several milliseconds per batch. pandera and pandas are imported on first use only."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field

from traingate.contracts.model import StrictModel


class ColumnSpec(StrictModel):
    dtype: Literal["string", "int", "float", "number", "bool", "list", "struct", "any"] = "any"
    required: bool = Field(True, description="The column must exist in the data.")
    nullable: bool = Field(False, description="Null or missing values are allowed.")
    regex: str | None = Field(None, description="Every value must fully match this pattern.")
    isin: list[str | int | float | bool] | None = Field(None, description="Allowed values.")
    min_length: int | None = Field(None, ge=0)
    max_length: int | None = Field(None, ge=0)
    min: float | None = None
    max: float | None = None
    unique: bool = Field(False, description="No value may repeat anywhere in the dataset.")


@lru_cache(maxsize=1)
def _pandera() -> Any:
    import pandera.pandas as pandera  # imported on first use: ~1 s

    return pandera


def column_checks(spec: ColumnSpec) -> list[Any]:
    """The pandera Checks a column's value rules declare."""
    Check = _pandera().Check
    checks = []
    if spec.regex is not None:
        checks.append(Check.str_matches(f"(?:{spec.regex})\\Z"))
    if spec.isin is not None:
        checks.append(Check.isin(spec.isin))
    if spec.min_length is not None or spec.max_length is not None:
        checks.append(Check.str_length(spec.min_length, spec.max_length))
    if spec.min is not None:
        checks.append(Check.ge(spec.min))
    if spec.max is not None:
        checks.append(Check.le(spec.max))
    return checks


def build_schema(columns: dict[str, ColumnSpec]) -> Any:
    """The pandera DataFrameSchema holding the value checks of the declared columns (for export)."""
    pandera = _pandera()
    out = {name: pandera.Column(checks=checks, nullable=True, required=False)
           for name, spec in columns.items() if (checks := column_checks(spec))}
    return pandera.DataFrameSchema(out) if out else None


NUMERIC = ("greater_than_or_equal_to", "less_than_or_equal_to")
_LOCAL = threading.local()  # checks run on several threads at once: each thread builds its own


def _checks_of(spec: ColumnSpec) -> dict[str, Any]:
    cache: dict[str, dict[str, Any]] = _LOCAL.__dict__.setdefault("checks", {})
    key = repr(spec.model_dump())  # not JSON, which writes an infinite bound as null, as if absent
    if key not in cache:
        cache[key] = {check.name: check for check in column_checks(spec)}
    return cache[key]


def pandera_fails(spec: ColumnSpec, rule: str, array: pa.Array) -> np.ndarray:
    """Rows of `array` failing pandera's check `rule` of the column (null values pass): the path of the
    value rules whose semantics Arrow cannot match exactly (schema_arrow.py says which)."""
    check = _checks_of(spec)[rule]
    passed = check(_series(array, _kind(array, rule))).check_output  # boolean Series over the non-null rows
    mask = np.zeros(len(array), dtype=bool)
    mask[passed.index.to_numpy()[~passed.to_numpy(dtype=bool)]] = True
    return mask


def _kind(array: pa.Array, check: str) -> str:
    """How a check sees the column: string checks see non-text values as text, bounds see text as numbers
    (text that does not parse is left to the dtype rule), the rest see the values."""
    text = pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
    if check.startswith("str_") and not text:
        return "as_text"
    return "as_number" if check in NUMERIC and text else "values"


def _series(array: pa.Array, kind: str) -> Any:
    import pandas as pd

    if kind == "as_text":
        return array.cast(pa.string()).to_pandas()
    if kind == "as_number":
        return pd.to_numeric(array.to_pandas(), errors="coerce")
    return array.to_pandas()
