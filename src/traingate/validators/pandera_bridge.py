"""Value checks of the schema check, run by pandera on each batch's scalar columns."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa

from traingate.contracts.checks import ColumnSpec


@lru_cache(maxsize=1)
def _pandera() -> Any:
    import pandera.pandas as pandera  # imported on first use: ~1 s

    return pandera


def build_schema(columns: dict[str, ColumnSpec]) -> Any:
    """The pandera DataFrameSchema holding the value checks of the declared columns."""
    pandera = _pandera()
    Check = pandera.Check
    out = {}
    for name, spec in columns.items():
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
        if checks:
            out[name] = pandera.Column(checks=checks, nullable=True, required=False)
    return pandera.DataFrameSchema(out) if out else None


_SCHEMAS: dict[str, Any] = {}


def failing_rows(columns: dict[str, ColumnSpec], arrays: dict[str, pa.Array],
                 num_rows: int) -> dict[tuple[str, str], np.ndarray]:
    """(column, check name) -> rows failing it. Only scalar columns reach pandera."""
    key = "|".join(f"{n}={s.model_dump_json()}" for n, s in sorted(columns.items()))
    if key not in _SCHEMAS:
        _SCHEMAS[key] = build_schema(columns)
    schema = _SCHEMAS[key]
    scalar = {n: a for n, a in arrays.items() if n in getattr(schema, "columns", {}) and not pa.types.is_nested(a.type)}
    if schema is None or not scalar or num_rows == 0:
        return {}
    import pandas as pd

    frame = pa.table(scalar).to_pandas()
    for name, spec in columns.items():
        if name in scalar and (spec.min is not None or spec.max is not None) and pa.types.is_string(scalar[name].type):
            frame[name] = pd.to_numeric(frame[name], errors="coerce")
    try:
        schema.validate(frame, lazy=True)
        return {}
    except _pandera().errors.SchemaErrors as exc:
        return _rows_by_check(exc.failure_cases, num_rows)


def _rows_by_check(cases: Any, num_rows: int) -> dict[tuple[str, str], np.ndarray]:
    out: dict[tuple[str, str], np.ndarray] = {}
    for (column, check), group in cases.groupby(["column", "check"]):
        mask = np.zeros(num_rows, dtype=bool)
        index = group["index"].dropna().astype(np.int64).to_numpy()
        mask[index[(index >= 0) & (index < num_rows)]] = True
        name = str(check).split("(")[0]
        out[(str(column), name)] = mask
    return out
