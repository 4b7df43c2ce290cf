"""What a check that flags rows finds in a batch, a `Hit`, and what flags.py reads of one: the rows it
flags, what it measured in each row, the chat turn holding it, and its sample (an excerpt around the
finding, with what was measured)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from traingate.data.batch import BatchContext, TextView
from traingate.results.model import Sample
from traingate.validators.common.samples import excerpt_around


@dataclass(frozen=True)
class Hit:
    """Values of a view (or rows, when view is None) that show `reason`; `pattern` locates the span; `values`,
    aligned with `mask`, holds what was measured (a token count, a ratio) in the unit `measure` names."""

    reason: str
    mask: np.ndarray
    view: TextView | None = None
    pattern: str | None = None
    note: str | None = None
    values: np.ndarray | None = None
    measure: str | None = None


def rows_of(hit: Hit, num_rows: int) -> np.ndarray:
    """The batch's rows the hit flags (a hit on a view of message lists flags the rows holding them)."""
    if hit.view is None or hit.view.rows is None:
        return np.asarray(hit.mask, dtype=bool)
    rows = np.zeros(num_rows, dtype=bool)
    rows[hit.view.rows[np.asarray(hit.mask, dtype=bool)]] = True
    return rows


def row_values(hit: Hit, num_rows: int) -> np.ndarray:
    """What the hit measured for each row (its first value in the row found at fault), NaN where nothing."""
    out = np.full(num_rows, np.nan)
    if hit.values is not None:
        at = np.flatnonzero(np.asarray(hit.mask, dtype=bool))
        owners = hit.view.row_of()[at] if hit.view is not None else at
        out[owners[::-1]] = np.asarray(hit.values, dtype=np.float64)[at][::-1]  # the first value of a row wins
    return out


def sample_of(batch: BatchContext, hit: Hit, row: int) -> dict[str, object]:
    """The row's excerpt around the finding, with what was measured and the chat turn holding it."""
    text, index = "", row
    if hit.view is not None:
        indices = np.flatnonzero(hit.mask & (hit.view.row_of() == row))
        index = int(indices[0]) if len(indices) else -1
        value = hit.view.values[index].as_py() if index >= 0 else None
        text = value if isinstance(value, str) else ""
    excerpt, span = excerpt_around(text, hit.pattern)
    if hit.note:
        excerpt = f"{hit.note}: {excerpt}" if excerpt else hit.note
        span = (span[0] + len(hit.note) + 2, span[1] + len(hit.note) + 2) if span else None
    return Sample(file=batch.file, line=int(batch.lines[row]), unit=batch.unit,
                  field=hit.view.field if hit.view else None, reason=hit.reason, excerpt=excerpt,
                  span=span, **measured(hit, index), **turn_of(hit.view, index)).model_dump()


def measured(hit: Hit, index: int) -> dict[str, Any]:
    """The value a hit measured at `index` (of its view's values, or of the rows), when it is a finite number."""
    if hit.values is None or index < 0:
        return {}
    value = float(hit.values[index])
    return {"value": value, "measure": hit.measure} if np.isfinite(value) else {}


def turn_of(view: TextView | None, index: int) -> dict[str, Any]:
    """The chat turn holding the value at `index` of a view of message lists: its index and raw role."""
    if view is None or view.rows is None or index < 0:
        return {}
    role = view.roles[index].as_py() if view.roles is not None else None
    return {"turn": view.turn(index), "role": role if isinstance(role, str) else None}
