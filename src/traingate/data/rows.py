"""Python rows -> an Arrow table, tolerant of rows whose values have the wrong shape."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from traingate.data.excerpts import window
from traingate.results.model import Fault

_KINDS = {str: "string", bool: "bool", int: "number", float: "number", list: "list", dict: "object"}


def _kind(value: Any) -> str:
    return _KINDS.get(type(value), type(value).__name__)


def excerpt(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else window(text, 0, limit - 1)  # the cut marked as masking expects


def _column(name: str, values: list[Any], lines: list[int], file: str, unit: str,
            faults: list[Fault], expected: str | None = None,
            mismatched: list[tuple[str, str, int]] | None = None) -> pa.Array:
    """The values as one Arrow array; when their types differ, the type decided earlier in the run
    (`expected`), else the first one here, is kept and each other value is null plus a fault."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        pass
    first = expected or next(_kind(v) for v in values if v is not None)
    cleaned: list[Any] = []
    for value, line in zip(values, lines):
        if value is not None and _kind(value) != first and mismatched is not None:
            mismatched.append((name, _kind(value), line))
            value = None
        elif value is not None and _kind(value) != first:
            faults.append(Fault(file=file, line=line, unit=unit, kind="type_mismatch",
                                message=f"field {name!r} is {_kind(value)}, its first value in the data is {first}"))
            value = None
        cleaned.append(value)
    try:
        return pa.array(cleaned)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return _column_by_value(name, cleaned, lines, file, unit, faults)


def _column_by_value(name: str, values: list[Any], lines: list[int], file: str, unit: str,
                     faults: list[Fault]) -> pa.Array:
    """Last resort for nested values of differing shapes: the first shape that converts wins. Each value is
    tried beside the first one kept, as pyarrow converts some alone that it refuses among others (`[]` as
    an empty struct)."""
    target: pa.DataType | None = None
    kept: list[Any] = []
    anchor: list[Any] = []
    for value, line in zip(values, lines):
        if value is None:
            kept.append(None)
            continue
        try:
            converted = pa.array([*anchor, value], type=target)
            target, anchor = target or converted.type, anchor or [value]
            kept.append(value)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            faults.append(Fault(file=file, line=line, unit=unit, kind="type_mismatch",
                                message=f"field {name!r} has a nested shape unlike the other rows"))
            kept.append(None)
    return pa.array(kept, type=target)


def rows_to_table(rows: list[dict[str, Any]], lines: list[int], columns: set[str] | None, file: str,
                  unit: str, faults: list[Fault], expected: dict[str, str] | None = None,
                  mismatched: list[tuple[str, str, int]] | None = None) -> pa.Table:
    """Build the projected table; values that do not fit their column become null plus a fault.
    `expected`: the type of each column decided earlier in the run (`column_types`); with `mismatched`,
    a value of another type is listed there as (column, type, line) for the run to count, not a fault."""
    expected = expected or {}
    names: list[str] = []
    seen: set[str] = set()
    for row in rows:
        for key in row:
            if key not in seen and (columns is None or key in columns):
                seen.add(key)
                names.append(key)
    arrays = [_column(n, [r.get(n) for r in rows], lines, file, unit, faults, expected.get(n), mismatched) for n in names]
    if not names:
        return pa.table({"__row__": pa.nulls(len(rows))}).drop_columns(["__row__"]) if rows else pa.table({})
    return pa.table(dict(zip(names, arrays)))
