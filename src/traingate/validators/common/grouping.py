"""Rows grouped by equal key, the sorting shared by the checks that find repeats (exact duplicates,
schema `unique`, conflicting labels, preference consistency)."""

from __future__ import annotations

import numpy as np


def repeated_rows(keys: np.ndarray) -> np.ndarray:
    """Which rows hold a key that occurs more than once (one sort of the keys, no row order)."""
    ordered = np.sort(keys)
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    if not len(repeated):
        return np.zeros(len(keys), dtype=bool)
    mask: np.ndarray = repeated[np.minimum(np.searchsorted(repeated, keys), len(repeated) - 1)] == keys
    return mask


def clusters(keys: np.ndarray, ids: np.ndarray, values: np.ndarray | None = None,
             spread: tuple[np.ndarray, float] | None = None, rare: bool = False) -> list[np.ndarray]:
    """Row ids grouped by equal key (groups of two or more), largest first, then by first row; with
    `values`, only the groups whose rows do not all share one value; with `spread` (numbers, tolerance)
    too, a group whose numbers are all numbers (not NaN) is kept when they span more than the tolerance.
    `rare`: repeats are expected to be few (content keys), so the rows holding one are picked out first
    and only they are sorted with their row ids."""
    if rare and values is None and len(keys) > 1:
        chosen = repeated_rows(keys)
        keys, ids = keys[chosen], ids[chosen]
    if not len(keys):
        return []
    order = np.lexsort((ids, keys))
    keys, ids = keys[order], ids[order]
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
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


def largest_first(groups: list[np.ndarray]) -> list[np.ndarray]:
    """Groups found part by part in the order `clusters` gives them: largest first, then by first row."""
    return sorted(groups, key=lambda g: (-len(g), int(g[0])))
