"""Which test rows share an LSH bucket with a train row: the pairs split_leakage verifies, computed one
key column at a time (exact and band keys alike), in the shape a Ray shuffle calls too."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from traingate.validators.common.lsh import union_pairs

TRAIN, TEST = 1, 2


def leak_pairs(keys: np.ndarray, ids: np.ndarray, tags: np.ndarray, all_pairs_up_to: int = 0) -> np.ndarray:
    """(test row id, train row id) for every test row sharing a key column's bucket with a train row (the
    bucket's first train row by id; every train row of buckets of at most `all_pairs_up_to` rows, for
    verification), unique and sorted."""
    return leaks_by_column(lambda column: keys[:, column], keys.shape[1], ids, tags, all_pairs_up_to)


def leaks_by_column(column_of: Callable[[int], np.ndarray], columns: int, ids: np.ndarray,
                    tags: np.ndarray, all_pairs_up_to: int = 0) -> np.ndarray:
    """`leak_pairs` with the keys given one column at a time."""
    found = []
    for column in range(columns if len(ids) else 0):
        keys = column_of(column)
        order = np.lexsort((ids, keys))
        k, i, t = keys[order], ids[order], tags[order]
        new_bucket = np.concatenate(([True], k[1:] != k[:-1]))
        train_at = np.where(t == TRAIN, np.arange(len(k)), len(k))  # len(k): no train row
        first_train = np.minimum.reduceat(train_at, np.flatnonzero(new_bucket))[np.cumsum(new_bucket) - 1]
        leaks = (t == TEST) & (first_train < len(k))
        found.append(np.stack([i[leaks], i[first_train[leaks]]], axis=1))
        if all_pairs_up_to > 2:
            found.extend(_complete(i, t, np.flatnonzero(new_bucket), all_pairs_up_to))
    return union_pairs(*found).astype(np.uint64).reshape(-1, 2)


def _complete(ids: np.ndarray, tags: np.ndarray, starts: np.ndarray, cap: int) -> list[np.ndarray]:
    """Every (test, train) pair of the buckets (sorted rows from `starts`) with 3 to `cap` rows."""
    sizes = np.diff(np.append(starts, len(ids)))
    out = []
    for start, size in zip(starts[(sizes > 2) & (sizes <= cap)], sizes[(sizes > 2) & (sizes <= cap)]):
        members, kinds = ids[start: start + size], tags[start: start + size]
        tests, trains = members[kinds == TEST], members[kinds == TRAIN]
        if len(tests) and len(trains) > 1:
            out.append(np.stack([np.repeat(tests, len(trains)), np.tile(trains, len(tests))], axis=1))
    return out


def bucket_leaks(keys: np.ndarray, ids: np.ndarray, tags: np.ndarray, cap: int) -> np.ndarray:
    """`leak_pairs` in the shape a shuffle calls."""
    return leak_pairs(keys, ids, tags.astype(np.uint8), cap)
