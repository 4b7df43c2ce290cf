"""Row tables kept sorted by a key and the row id, so that grouping them all again merges sorted runs instead
of sorting every row: exact duplicates sorts a file's rows by prompt key when the cache keeps its state
(engine/cache.py), and a later run over those files and a new one orders the rows by (prompt key, row id)
with one stable sort over the runs, which finds them already in order.

The order is the one `np.lexsort((ids, keys))` gives, not an approximation of it: within a run the rows are
in (key, id) order, the runs follow one another in row id order (each file's ids are above the previous
file's), so a stable sort by key alone keeps equal keys in id order. Each condition is checked, and where
one does not hold the rows are sorted whole, as before.

The content keys are found repeated the same way: the cache keeps each file's content keys sorted beside its
rows (`kept`), and the keys repeated among all rows are found by merging those sorted runs with the other
rows' keys, rather than by sorting every key (`repeated`)."""

from __future__ import annotations

import numpy as np

from traingate.data.rowids import LINE_BITS
from traingate.validators.common.grouping import repeats

KEY, ID = 2, 1  # the columns of exact duplicates' table: content key, row id, prompt key


def in_order(table: np.ndarray, key: int = KEY) -> bool:
    """Whether the table's rows are in (key, row id) order."""
    keys, ids = table[:, key], table[:, ID]
    after = keys[1:] > keys[:-1]
    return bool(np.all(after | ((keys[1:] == keys[:-1]) & (ids[1:] > ids[:-1]))))


def sort_rows(table: np.ndarray, key: int = KEY) -> np.ndarray:
    return table if in_order(table, key) else table[np.lexsort((table[:, ID], table[:, key]))]


def merged_order(tables: list[np.ndarray], key: int = KEY) -> tuple[np.ndarray, np.ndarray] | None:
    """The tables' rows, each table sorted, and their order by (key, row id); None when most rows are not
    in sorted runs already (sorting them run by run would cost more than sorting them whole) or the tables'
    row ids are not in ascending ranges."""
    tables = [t for t in tables if len(t)]
    if len(tables) < 2:
        return None
    ordered = [in_order(t, key) for t in tables]  # each table checked once
    if 2 * sum(len(t) for t, done in zip(tables, ordered) if not done) > sum(len(t) for t in tables):
        return None
    tables = [t if done else t[np.lexsort((t[:, ID], t[:, key]))] for t, done in zip(tables, ordered)]
    if any(int(a[:, ID].max()) >= int(b[:, ID].min()) for a, b in zip(tables, tables[1:])):
        return None
    rows = np.concatenate(tables)
    return rows, np.argsort(rows[:, key], kind="stable")


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
