"""Verification of MinHash candidate pairs: the exact Jaccard of the two rows' shingle sets, read again
from the rows the driver fetched (near_duplicates and split_leakage's near part)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from traingate.contracts.model import DatasetSpec
from traingate.data.batch import BatchContext
from traingate.data.tokenizers import get_tokenizer

Shingler = Callable[[BatchContext], tuple["np.ndarray", "np.ndarray"]]  # quoted: importing reads nothing of numpy


def verified_pairs(pairs: np.ndarray, rows: Mapping[int, dict[str, Any]], spec: DatasetSpec, shingles: Shingler,
                   threshold: float) -> np.ndarray:
    """The candidate (row id, row id) pairs whose exact Jaccard of shingle sets reaches `threshold`; a
    pair with a row not fetched is dropped."""
    ids = sorted({int(i) for i in np.unique(pairs)} & set(rows))
    batch = BatchContext(pa.Table.from_pylist([rows[i] for i in ids]), spec, get_tokenizer("whitespace"), file="",
                         file_index=0, lines=np.arange(len(ids)), unit="row", split="", row_offset=0)
    hashes, offsets = shingles(batch)
    sets = {row_id: set(hashes[offsets[k]: offsets[k + 1]].tolist()) for k, row_id in enumerate(ids)}
    keep = [k for k, (a, b) in enumerate(pairs.tolist())
            if a in sets and b in sets and jaccard(sets[a], sets[b]) >= threshold]
    return pairs[keep].reshape(-1, 2)


def jaccard(a: set[int], b: set[int]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0
