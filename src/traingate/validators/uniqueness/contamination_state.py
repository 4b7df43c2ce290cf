"""What contamination holds and reads: the texts of a batch it searches (its turns and fields, normalised, row by
row) and its state, only the hits (row id, eval set, item, share: 32 bytes each), merged by joining them and
sorted by eval set, item and row at the end. The eval sets' indexes live in a per-process cache
(validators/common/evalsets.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from traingate.data.batch import BatchContext
from traingate.validators.common.normalize import normalize


@dataclass
class HitState:
    rows: int = 0
    hits: list[np.ndarray] = field(default_factory=list)  # (n, 4): row id, set, item, share * 1e6
    files: dict[int, tuple[str, str]] = field(default_factory=dict)

    def merge(self, other: HitState) -> HitState:
        return HitState(self.rows + other.rows, self.hits + other.hits, {**self.files, **other.files})

    def sorted_hits(self) -> np.ndarray:
        """Every hit, one a line (row id, set, item, share * 1e6), by set, then item, then row."""
        if not self.hits:
            return np.zeros((0, 4), dtype=np.int64)
        hits = np.concatenate(self.hits)
        return hits[np.lexsort((hits[:, 0], hits[:, 2], hits[:, 1]))]


def segments(batch: BatchContext, fields: Sequence[str], steps: Sequence[str]) -> tuple[pa.Array, np.ndarray]:
    """The normalised turns and fields of the batch, row by row (fields in order, turns in order), and the row
    of each. No role names: an eval item has none, and one glued to a turn's first word hid the turn."""
    values: list[pa.Array] = []
    rows: list[np.ndarray] = []
    for name in fields:
        view = batch.text(name)
        if view is not None:
            values.append(normalize(view.values, steps).cast(pa.large_string()))
            rows.append(view.row_of())
    if not values:
        return pa.array([], pa.large_string()), np.zeros(0, np.int64)
    row_of = np.concatenate(rows)
    order = np.argsort(row_of, kind="stable")
    return pa.concat_arrays(values).take(pa.array(order)), row_of[order]
