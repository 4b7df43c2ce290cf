"""Constants that were numpy or pyarrow values built at import time are built where they are used (so a
command that reads no data executes neither library: cli/deferred.py). Each is compared here with the
value and the arithmetic of the former module-level constant, on edge inputs."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import xxhash

from traingate.data.arrays import _dtype
from traingate.validators.common.partitioned import Partitioned
from traingate.validators.common.samples import row_keys
from traingate.validators.common.shingles import _byte_hashes, _whole_hashes, _window_hashes, ngram_hashes

OLD_SEED = np.uint64(0x9E3779B97F4A7C15)
OLD_MIX = np.uint64(0x9E3779B97F4A7C15)
EDGES = np.array([0, 1, 2, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 2, 2**64 - 1], dtype=np.uint64)


def _old_row_keys(row_ids: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = row_ids.astype(np.uint64) + OLD_SEED
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def test_row_keys_as_with_the_numpy_seed() -> None:
    signed = np.array([0, 1, -1, 2**62, -(2**63), 2**63 - 1], dtype=np.int64)
    for ids in (EDGES, signed, np.arange(1000, dtype=np.uint64), np.zeros(0, dtype=np.uint64)):
        new, old = row_keys(ids), _old_row_keys(ids)
        assert new.dtype == old.dtype == np.uint64 and np.array_equal(new, old)


def test_shingle_hashes_as_with_the_numpy_multiplier() -> None:
    rng = np.random.default_rng(7)
    tokens = np.concatenate([EDGES, rng.integers(0, 2**63, 200, dtype=np.uint64) * np.uint64(2)])
    for n in (1, 2, 3, 5, len(tokens), len(tokens) + 1):
        size = len(tokens) - n + 1
        old = tokens[:max(size, 0)].astype(np.uint64, copy=True)
        with np.errstate(over="ignore"):
            for k in range(1, n if size > 0 else 1):
                old *= OLD_MIX
                old += tokens[k: k + size]
        assert np.array_equal(_window_hashes(tokens, n), old if size > 0 else np.zeros(0, np.uint64))
    offsets = np.array([0, 0, 1, 4, 9, 9, len(tokens)])
    values = np.array([1, 2, 3])
    starts, lengths = offsets[values], offsets[values + 1] - offsets[values]
    old_whole = np.zeros(len(values), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(int(lengths.max())):
            live = lengths > k
            old_whole[live] = old_whole[live] * OLD_MIX + tokens[starts[live] + k]
    assert np.array_equal(_whole_hashes(tokens, offsets, values), old_whole)
    hashes, out_offsets = ngram_hashes(tokens, offsets, 4)
    assert hashes.dtype == np.uint64 and out_offsets[-1] == len(hashes)


def test_byte_hashes_are_the_xxh64_of_each_byte() -> None:
    old = np.array([xxhash.xxh64_intdigest(bytes([b])) for b in range(256)], dtype=np.uint64)
    assert _byte_hashes().dtype == np.uint64 and np.array_equal(_byte_hashes(), old)


def test_partitions_split_on_the_top_four_bits() -> None:
    keys = np.concatenate([EDGES, np.arange(16, dtype=np.uint64) << np.uint64(60)])
    table = np.stack([keys, np.arange(len(keys), dtype=np.uint64)], axis=1)
    state = Partitioned()
    state.add(table)
    state.spill()
    parts = list(state.tables(2))
    assert len(parts) == 16
    for p, part in enumerate(parts):
        expected = table[(table[:, 0] >> np.uint64(60)) == p]
        assert np.array_equal(part[np.argsort(part[:, 1])], expected)


def test_arrow_types_map_to_the_same_numpy_dtypes() -> None:
    old = {pa.float16(): np.float16, pa.float32(): np.float32, pa.float64(): np.float64}
    kinds = [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint64(), pa.float16(), pa.float32(),
             pa.float64(), pa.string(), pa.bool_(), pa.decimal128(5, 2), pa.dictionary(pa.int32(), pa.float64()),
             pa.list_(pa.float64()), pa.timestamp("s")]
    for kind in kinds:
        expected = np.dtype(str(kind)) if pa.types.is_integer(kind) else (
            np.dtype(old[kind]) if kind in old else None)
        assert _dtype(kind) == expected, kind
