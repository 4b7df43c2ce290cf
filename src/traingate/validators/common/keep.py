"""Which row of a duplicate cluster is kept (`keep:` of exact, near and semantic duplicates): the first in
data order (the default), the longest (most characters in the fields the check compares), or the one of
highest value in a numeric column (`keep: {highest: score}`). Ties, and rows whose value is missing or not a
number, fall back to data order: a missing value never wins over a number, and a cluster without any number
keeps its first row.

The choice is by (rule value, row id) alone, so any split of the data keeps the same row: each row's value
is held beside its row id (16 bytes a row, only when the rule is not `first`), spilled with the check's other
per-row columns under `--max-memory`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from traingate.contracts.model import StrictModel
from traingate.data.batch import BatchContext
from traingate.data.spill import Rows
from traingate.validators.common.findings import Findings


class Highest(StrictModel):
    """Keep the row holding the highest number in a column."""

    highest: str = Field(min_length=1, description="A numeric column (a dotted path reaches into a record).")


KeepRule = Literal["first", "longest"] | Highest
KEEP_DESCRIPTION = ("The row of each cluster that is kept (not counted as a duplicate, kept by `filter`): first "
                    "(in data order), longest (most characters in the compared fields), or {highest: COLUMN} "
                    "(the highest number in COLUMN); ties and missing values fall back to the first.")


def rule_columns(rule: KeepRule) -> set[str]:
    """The top-level column a rule reads besides the compared fields."""
    return {rule.highest.split(".")[0]} if isinstance(rule, Highest) else set()


def rule_reads(rule: KeepRule) -> list[str]:
    """The column a rule reads as values (it must be in some row of the data)."""
    return [rule.highest] if isinstance(rule, Highest) else []


def _numbers(array: pa.Array | None, n: int) -> np.ndarray:
    """float64 of each value; NaN for a null or a value that is not a number (text is parsed, as in CSV)."""
    if array is None or pa.types.is_null(array.type) or pa.types.is_nested(array.type):
        return np.full(n, np.nan)
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return np.array([_parse(v) for v in array.to_pylist()], dtype=np.float64)
    try:
        cast = pc.cast(array, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return np.full(n, np.nan)
    return np.asarray(cast.to_numpy(zero_copy_only=False), dtype=np.float64)


def _parse(value: str | None) -> float:
    try:
        return float(value) if value is not None else np.nan
    except ValueError:
        return np.nan


def rule_values(rule: KeepRule, batch: BatchContext, fields: Sequence[str], rows: np.ndarray) -> np.ndarray | None:
    """Each row's value under the rule (None for `first`): characters of the fields, or the column's number."""
    if rule == "first":
        return None
    if isinstance(rule, Highest):
        values = _numbers(batch.column(rule.highest), batch.num_rows)
    else:
        values = np.zeros(batch.num_rows, dtype=np.float64)
        for view in batch.views(list(fields)):
            values += batch.per_row(view, batch.counts(view, "chars"))
    chosen: np.ndarray = values[rows]
    return chosen


def add_values(held: Rows, ids: np.ndarray, values: np.ndarray | None) -> None:
    """Hold (row id, value) of rows the check compares."""
    if values is not None and len(ids):
        held.add(np.column_stack([ids.astype(np.uint64), values.astype(np.float64).view(np.uint64)]))


def kept_rows(groups: list[np.ndarray], held: Rows | None) -> np.ndarray:
    """The kept row id of each group (in the groups' order): the first row without values held, else the
    row of highest value, ties and missing values to the earlier row."""
    if not groups:
        return np.zeros(0, dtype=np.uint64)
    if held is None or not len(held):
        return np.array([int(np.min(g)) for g in groups], dtype=np.uint64)
    ids, values = held.column(0), held.column(1).view(np.float64)
    order = np.argsort(ids, kind="stable")
    ids, values = ids[order], np.where(np.isnan(values[order]), -np.inf, values[order])
    members = np.concatenate(groups).astype(np.uint64)
    which = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    at = np.minimum(np.searchsorted(ids, members), len(ids) - 1)
    found = np.where(ids[at] == members, values[at], -np.inf)
    best = np.lexsort((members, -found, which))  # per group: highest value, then the earliest row
    firsts = best[np.concatenate(([True], which[best][1:] != which[best][:-1]))]
    return members[firsts]


def duplicate_findings(groups: list[np.ndarray], files: Mapping[int, tuple[str, str]], kept: np.ndarray,
                       reason: str = "duplicate") -> Findings:
    """Every row of every cluster with its cluster's place (largest first), whether it is the cluster's first
    row in data order, and whether it is the row kept."""
    found = Findings((("cluster", "int"), ("first", "bool"), ("kept", "bool")), files=dict(files))
    if groups:
        ids = np.concatenate(groups).astype(np.uint64)
        sizes = np.array([len(g) for g in groups])
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        found.add(ids, reason, cluster=np.repeat(np.arange(len(groups)), sizes),
                  first=ids == np.repeat(np.minimum.reduceat(ids, starts), sizes),
                  kept=ids == np.repeat(kept, sizes))
    return found
