"""Row tables kept sorted by a key and the row id, so that grouping them all again merges sorted runs instead
of sorting every row: exact duplicates sorts a file's rows by prompt key when the cache keeps its state
(engine/cache.py), and a later run over those files and a new one orders the rows by (prompt key, row id)
with one stable sort by prompt key, which finds the cached runs already in order (`key_order`).

The order is the one `np.lexsort((ids, keys))` gives, not an approximation of it: a stable sort by key keeps
equal keys in the order the table holds them, which is row id order when each run holds its rows in (key,
row id) or row id order and the runs follow one another in row id order (each file's ids above the previous
file's). `clusters` checks that on the sorted rows, and where it does not hold sorts them whole.

The content keys are found repeated the same way: the cache keeps each file's content keys sorted beside its
rows (`kept`), and the keys repeated among all rows are found by merging those sorted runs with the other
rows' keys, rather than by sorting every key (`repeated`)."""

from __future__ import annotations

import numpy as np

from traingate.data.rowids import LINE_BITS
from traingate.validators.common.grouping import in_key_order, repeats

KEY, ID = 2, 1  # the columns of exact duplicates' table: content key, row id, prompt key


def in_order(table: np.ndarray, key: int = KEY) -> bool:
    """Whether the table's rows are in (key, row id) order."""
    return in_key_order(table[:, key], table[:, ID])


def sort_rows(table: np.ndarray, key: int = KEY) -> np.ndarray:
    return table if in_order(table, key) else table[np.lexsort((table[:, ID], table[:, key]))]


def key_order(keys: np.ndarray) -> np.ndarray:
    """The rows' order by key from one stable sort, which merges the runs already sorted: their order by
    (key, row id) where the table holds equal keys in row id order (`clusters` checks it)."""
    order: np.ndarray = np.argsort(keys, kind="stable")
    return order


def repeated(tables: list[np.ndarray], kept: dict[int, np.ndarray]) -> np.ndarray | None:
    """The content keys (column 0) that occur more than once among the tables' rows, sorted; found by merging
    `kept` (file index -> that file's content keys, sorted) with the sorted keys of the tables not of a kept
    file. None when there is nothing kept, or the tables of a kept file do not hold as many rows as its keys
    (the keys would not be the rows')."""
    if not kept:
        return None
    held: dict[int, int] = {}
    loose = []
    for table in (t for t in tables if len(t)):
        first, last = (int(table[:, ID].min()) >> LINE_BITS, int(table[:, ID].max()) >> LINE_BITS)
        if first == last and first in kept:
            held[first] = held.get(first, 0) + len(table)
        else:
            loose.append(np.sort(table[:, 0]))
    if any(held.get(file, 0) != len(keys) for file, keys in kept.items()):
        return None
    ordered = np.sort(np.concatenate([*kept.values(), *loose]), kind="stable")  # merges the sorted runs
    return repeats(ordered)
