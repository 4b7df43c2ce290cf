"""MinHash signatures (rensa) and LSH band keys, plus clustering of rows that share a band."""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from traingate.errors import MissingDependencyError
from traingate.validators.common.grouping import labelled_groups

SEED = 1


@lru_cache(maxsize=32)
def optimal_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) minimising the equally weighted areas of false positives below the threshold
    and false negatives above it, for the S-curve 1 - (1 - s^r)^b (the rule datasketch uses)."""
    grid = np.linspace(0.0, 1.0, 1001)
    best, best_error = (1, num_perm), float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            p = 1 - (1 - grid ** rows) ** bands
            fp = np.trapezoid(np.where(grid < threshold, p, 0), grid)
            fn = np.trapezoid(np.where(grid >= threshold, 1 - p, 0), grid)
            if fp + fn < best_error:
                best, best_error = (bands, rows), fp + fn
    return best


def signatures(hashes: np.ndarray, offsets: np.ndarray, num_perm: int) -> np.ndarray:
    """One MinHash signature (uint32 x num_perm) per row of shingle hashes."""
    try:
        from rensa import RMinHash
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise MissingDependencyError("near-duplicate detection", "core", "rensa") from exc
    matrix = RMinHash.digest_matrix_from_flat_token_hashes(hashes, offsets.astype(np.uint64), num_perm, SEED)
    # rensa 0.5 gives the matrix only as lists of ints (`to_rows`); array('I') packs them without a
    # numpy scalar per value, the cheapest way found to a flat buffer.
    flat = array("I", itertools.chain.from_iterable(matrix.to_rows()))
    return np.frombuffer(flat, dtype=np.uint32).reshape(len(offsets) - 1, num_perm)


def band_keys(signature: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64 keys; two rows collide in a band when their `rows` minima there are equal."""
    keys = np.zeros((len(signature), bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for band in range(bands):
            acc = np.full(len(signature), np.uint64(band + 1) * np.uint64(0x9E3779B97F4A7C15), dtype=np.uint64)
            for col in signature[:, band * rows: (band + 1) * rows].T:
                acc = (acc ^ col.astype(np.uint64)) * np.uint64(0x100000001B3)
            keys[:, band] = acc ^ (acc >> np.uint64(29))
    return keys


def candidate_pairs(keys: np.ndarray, ids: np.ndarray, all_pairs_up_to: int = 0) -> np.ndarray:
    """(m, 2) pairs of row ids that share a band key: each bucket linked as a star on its first row,
    or completely when the bucket has at most `all_pairs_up_to` rows (for verification)."""
    return pairs_by_band(lambda band: keys[:, band], keys.shape[1], ids, all_pairs_up_to)


def pairs_by_band(band_of: Callable[[int], np.ndarray], bands: int, ids: np.ndarray,
                  all_pairs_up_to: int = 0) -> np.ndarray:
    """`candidate_pairs` with the keys given one band at a time (`band_of(band)`: that band's key per row),
    so only one band is in memory at once."""
    pairs = []
    for band in range(bands if len(ids) else 0):
        column = band_of(band)
        order = np.lexsort((ids, column))
        k, i = column[order], ids[order]
        same = np.concatenate(([False], k[1:] == k[:-1]))
        if not same.any():
            continue
        bucket_start = np.maximum.accumulate(np.where(~same, np.arange(len(k)), 0))
        pairs.append(np.stack([i[bucket_start[same]], i[same]], axis=1))
        if all_pairs_up_to > 2:
            pairs.extend(_complete(i, bucket_start, same, all_pairs_up_to))
    return np.unique(np.concatenate(pairs), axis=0) if pairs else np.zeros((0, 2), dtype=np.uint64)


def bucket_candidates(keys: np.ndarray, ids: np.ndarray, tags: np.ndarray, cap: int) -> np.ndarray:
    """`candidate_pairs` in the shape a shuffle calls (tags unused)."""
    return candidate_pairs(keys, ids, cap)


def union_pairs(*parts: np.ndarray | None) -> np.ndarray:
    """The distinct (m, 2) pairs of the given arrays (None and empty ones skipped), sorted."""
    given = [p for p in parts if p is not None and len(p)]
    return np.unique(np.concatenate(given), axis=0) if given else np.zeros((0, 2), dtype=np.uint64)


def _complete(ids: np.ndarray, start: np.ndarray, same: np.ndarray, cap: int) -> list[np.ndarray]:
    out = []
    for s in np.unique(start[same]):
        members = ids[start == s]
        if 2 < len(members) <= cap:
            a, b = np.triu_indices(len(members), 1)
            out.append(np.stack([members[a], members[b]], axis=1))
    return out


def components(pairs: np.ndarray) -> list[np.ndarray]:
    """Connected components (size >= 2) of the graph given by pairs of row ids, largest first."""
    if not len(pairs):
        return []
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    nodes, index = np.unique(pairs, return_inverse=True)
    index = index.reshape(pairs.shape)
    graph = coo_matrix((np.ones(len(pairs)), (index[:, 0], index[:, 1])), shape=(len(nodes), len(nodes)))
    _, labels = connected_components(graph, directed=False)
    return labelled_groups(labels, nodes)
