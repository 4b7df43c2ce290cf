"""Semantic duplicates group rows tile by tile into connected components, never holding the similar pairs:
the groups equal those of every pair found at once (the earlier method, kept here as the reference), and a
corpus whose rows all resemble one another is grouped in bounded memory."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from traingate.validators.uniqueness.semantic_groups import similar_groups


def _reference(vectors: np.ndarray, ids: np.ndarray, threshold: float) -> list[np.ndarray]:
    """Every pair with cosine >= threshold, then the connected components of their graph."""
    a, b = np.nonzero(np.triu(vectors @ vectors.T >= threshold, 1))
    if not len(a):
        return []
    _, labels = connected_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(len(ids),) * 2), directed=False)
    order = np.argsort(labels, kind="stable")
    groups = [ids[g] for g in np.split(order, np.flatnonzero(np.diff(labels[order])) + 1) if len(g) > 1]
    return sorted(groups, key=lambda g: (-len(g), int(g[0])))


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("block", [1, 3, 7, 64])
def test_the_groups_equal_those_of_every_pair_at_once(seed: int, block: int) -> None:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(12, 8))
    rows = centres[rng.integers(0, 12, 150)] + rng.normal(scale=rng.choice([0.2, 0.6, 1.2]), size=(150, 8))
    vectors = _unit(rows)
    ids = np.sort(rng.choice(10**6, 150, replace=False)).astype(np.uint64)
    for threshold in (0.5, 0.8, 0.95, 0.999):
        ours = similar_groups(vectors, ids, threshold, block)
        theirs = _reference(vectors, ids, threshold)
        assert [g.tolist() for g in ours] == [g.tolist() for g in theirs], (seed, block, threshold)


def test_chains_and_stars_join_across_tiles() -> None:
    """A chain whose links sit in different tiles, and a star whose centre meets rows of many tiles."""
    angles = np.concatenate([np.arange(40) * 0.05, [3.0, 3.0001, 3.0002]])  # a chain of close neighbours, a clump
    vectors = _unit(np.stack([np.cos(angles), np.sin(angles)], axis=1))
    ids = np.arange(len(angles), dtype=np.uint64)
    for block in (1, 2, 5):
        ours = similar_groups(vectors, ids, float(np.cos(0.06)), block)
        assert [g.tolist() for g in ours] == [list(range(40)), [40, 41, 42]]


def test_rows_that_all_resemble_one_another_are_grouped_in_bounded_memory() -> None:
    """12,000 rows within a degree of one direction: 72 million similar pairs, 1.2 GB as pairs of row ids."""
    rng = np.random.default_rng(0)
    vectors = _unit(np.ones((12_000, 32)) + rng.normal(scale=0.01, size=(12_000, 32)))
    ids = np.arange(12_000, dtype=np.uint64)
    tracemalloc.start()  # numpy reports its buffers to tracemalloc
    try:
        (group,) = similar_groups(vectors, ids, 0.9, 256)
        peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    assert group.tolist() == ids.tolist() and peak_mib < 50, peak_mib


def test_in_order_equals_taking_every_row_then_converting(monkeypatch: pytest.MonkeyPatch) -> None:
    """float16 values of every kind (subnormal, infinite, NaN, signed zero) come out as the whole-array copy gave."""
    from traingate.validators.uniqueness import semantic_groups

    rng = np.random.default_rng(4)
    vectors = rng.standard_normal((50, 5)).astype(np.float16)
    vectors[3] = [np.float16(6e-8), -0.0, np.inf, -np.inf, np.nan]
    order = rng.permutation(50)
    expected = vectors.astype(np.float32)[order]
    for rows in (1, 7, 50, 1 << 16):
        monkeypatch.setattr(semantic_groups, "GATHER_ROWS", rows)
        got = semantic_groups.in_order(vectors, order)
        assert got.dtype == np.float32 and np.array_equal(got.view(np.uint32), expected.view(np.uint32))
    assert semantic_groups.in_order(vectors[:0], order[:0]).shape == (0, 5)
