"""Rows grouped by cosine similarity, one block x block tile of the similarity matrix at a time, into
connected components (a row similar to two others links them), without ever holding the similar pairs: a
corpus whose rows all resemble one another (long texts of common words, a templated set) has n^2/2 of them,
which filled memory and killed the run at 30,000 rows. Each tile's pairs join their components at once; a
tile whose rows already all share one component is skipped without being computed. `agree`, when given, is a
second condition every pair must meet (semantic_words.py)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from traingate.validators.common.grouping import labelled_groups

GATHER_ROWS = 1 << 16  # rows converted to float32 at a time by `in_order`


def _roots(parent: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The root of each row's tree (parents always point to a smaller position), halving the rows' paths."""
    found: np.ndarray = parent[rows]
    while True:
        above: np.ndarray = parent[found]
        if np.array_equal(above, found):
            return found
        parent[rows] = above
        found = above


def _union(parent: np.ndarray, left: np.ndarray, right: np.ndarray) -> None:
    """Join the trees of each pair of rows: a root takes the smallest root it is paired with; pairs still apart
    (a root paired with several) go round again, each round joining at least one more."""
    while len(left):
        a, b = _roots(parent, left), _roots(parent, right)
        apart = a != b
        left, right, a, b = left[apart], right[apart], a[apart], b[apart]
        np.minimum.at(parent, np.maximum(a, b), np.minimum(a, b))


def in_order(vectors: np.ndarray, order: np.ndarray) -> np.ndarray:
    """`vectors[order]` as float32, GATHER_ROWS rows at a time: no other copy of every row is made (taking
    them all, then converting, held two more: 2 KB a row of 256 dims beside the float16 state's 512 bytes)."""
    out = np.empty((len(order), vectors.shape[1]), dtype=np.float32)
    for start in range(0, len(order), GATHER_ROWS):
        out[start: start + GATHER_ROWS] = vectors[order[start: start + GATHER_ROWS]]
    return out


def similar_groups(vectors: np.ndarray, ids: np.ndarray, threshold: float, block: int,
                   agree: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None) -> list[np.ndarray]:
    """Row ids (`ids` ascending, one per row of `vectors`, unit vectors) grouped by cosine >= threshold (and
    `agree(left, right)`, of row positions, where given) into connected components of two rows or more: largest
    first, then by first row, each in row id order."""
    parent = np.arange(len(vectors), dtype=np.int64)  # a forest of the components found so far
    for i in range(0, len(vectors), block):
        left = vectors[i: i + block]
        for j in range(i, len(vectors), block):
            span = _roots(parent, np.r_[i: min(i + block, len(vectors)), j: min(j + block, len(vectors))])
            if span.min() == span.max():
                continue  # every row of both blocks is in one component already: nothing to learn here
            a, b = np.nonzero(left @ vectors[j: j + block].T >= threshold)
            keep = (i + a) < (j + b)
            left_rows, right_rows = i + a[keep], j + b[keep]
            if agree is not None:
                held = agree(left_rows, right_rows)
                left_rows, right_rows = left_rows[held], right_rows[held]
            _union(parent, left_rows, right_rows)
    return labelled_groups(_roots(parent, np.arange(len(vectors))), ids)
