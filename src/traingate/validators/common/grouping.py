"""Rows grouped by equal key, the sorting shared by the checks that find repeats (exact duplicates, schema
`unique`, conflicting labels, preference consistency): the keys that repeat and the rows holding them, runs of
equal keys, and the groups of row ids by key, largest first. What such a check says when the contract, not the
data, is at fault (a key empty or constant in every row) is in contract_problems.py."""

from __future__ import annotations

import numpy as np


def repeats(ordered: np.ndarray) -> np.ndarray:
    """The keys that occur more than once in `ordered` (sorted), each once, sorted (np.unique would load
    numpy.ma)."""
    again = ordered[1:][ordered[1:] == ordered[:-1]]  # sorted: each repeated key once is where it changes
    found: np.ndarray = again[np.concatenate(([True], again[1:] != again[:-1]))] if len(again) else again
    return found


def holding(keys: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Which of the keys are among `found` (sorted): compared with each when they are few (repeats are rare,
    and a comparison beats a binary search per row), else searched."""
    if len(found) <= 8:
        mask = np.zeros(len(keys), dtype=bool)
        for key in found:
            mask |= keys == key
        return mask
    return located(found, keys)[0]


def located(keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which of `wanted` are among `keys` (ascending), and where (a binary search each)."""
    if not len(keys):
        return np.zeros(len(wanted), bool), np.zeros(len(wanted), np.int64)
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return keys[at] == wanted, at


def run_starts(keys: np.ndarray) -> np.ndarray:
    """Where each run of equal keys begins (`keys` sorted, or grouped)."""
    change = np.ones(len(keys), bool)
    np.not_equal(keys[1:], keys[:-1], out=change[1:])
    return np.flatnonzero(change)


def repeated_rows(keys: np.ndarray) -> np.ndarray:
    """Which rows hold a key that occurs more than once (one sort of the keys, no row order)."""
    return holding(keys, repeats(np.sort(keys)))


def clusters(keys: np.ndarray, ids: np.ndarray, values: np.ndarray | None = None,
             spread: tuple[np.ndarray, float] | None = None, rare: bool = False,
             order: np.ndarray | None = None) -> list[np.ndarray]:
    """Row ids grouped by equal key (groups of two or more), largest first, then by first row; with
    `values`, only the groups whose rows do not all share one value; with `spread` (numbers, tolerance)
    too, a group whose numbers are all numbers (not NaN) is kept when they span more than the tolerance.
    `rare`: repeats are expected to be few (content keys), so the rows holding one are picked out first
    and only they are sorted with their row ids. `order`: a candidate order of the rows by (key, row id), as
    one stable sort by key gives for rows held in row id order within each key (validators/uniqueness/runs.py;
    not with `rare`); it is checked, and the rows are sorted by both where it is not that order."""
    if rare and values is None and len(keys) > 1:
        chosen = repeated_rows(keys)
        keys, ids = keys[chosen], ids[chosen]
    if not len(keys):
        return []
    order, keys, ids = _by_key_and_id(keys, ids, order)
    starts = run_starts(keys)
    sizes = np.diff(np.append(starts, len(keys)))
    keep = sizes > 1
    if values is not None:
        ordered = values[order]
        differ = np.minimum.reduceat(ordered, starts) != np.maximum.reduceat(ordered, starts)
        if spread is not None:
            numbers = spread[0][order]
            numeric = ~np.logical_or.reduceat(np.isnan(numbers), starts)
            wide = np.fmax.reduceat(numbers, starts) - np.fmin.reduceat(numbers, starts) > spread[1]
            differ = np.where(numeric, wide, differ)
        keep &= differ
    starts, sizes = starts[keep], sizes[keep]
    rank = np.lexsort((ids[starts], -sizes))
    return [ids[start: start + size] for start, size in zip(starts[rank].tolist(), sizes[rank].tolist())]


def in_key_order(keys: np.ndarray, ids: np.ndarray) -> bool:
    """Whether the rows, as they are held, are in (key, row id) order, each row id once."""
    after = keys[1:] > keys[:-1]
    return bool(np.all(after | ((keys[1:] == keys[:-1]) & (ids[1:] > ids[:-1]))))


def _by_key_and_id(keys: np.ndarray, ids: np.ndarray,
                   order: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows' order by (key, row id), and their keys and ids in it: the candidate `order` where it is that
    order, else lexsort's."""
    if order is not None:
        ordered_keys, ordered_ids = keys[order], ids[order]
        if in_key_order(ordered_keys, ordered_ids):
            return order, ordered_keys, ordered_ids
    order = np.lexsort((ids, keys))
    return order, keys[order], ids[order]


def largest_first(groups: list[np.ndarray]) -> list[np.ndarray]:
    """Groups found part by part in the order `clusters` gives them: largest first, then by first row."""
    return sorted(groups, key=lambda g: (-len(g), int(g[0])))


def labelled_groups(labels: np.ndarray, names: np.ndarray) -> list[np.ndarray]:
    """`names` (ascending, one per label) grouped by equal label (connected components, say): groups of two or
    more, each ascending, largest first, then by first name."""
    order = np.argsort(labels, kind="stable")
    groups = np.split(names[order], np.flatnonzero(np.diff(labels[order])) + 1)
    return largest_first([g for g in groups if len(g) > 1])
