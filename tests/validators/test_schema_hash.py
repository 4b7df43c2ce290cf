"""The schema's `unique` rule hashes values in numpy (schema_hash.py); pinned equal to the xxhash library's
xxh64 per value (`hash_texts`, what it replaced) on every length around xxh64's lanes (0-40 bytes: 4- and
8-byte lanes, single bytes, the 32-byte stripes left to the library), unicode, nulls, slices with offsets,
large strings, and non-text columns cast to text; and the verdict of `unique` unchanged on repeats. Also
`repeated_rows`, which now picks few repeated keys by comparison, against np.unique and searchsorted."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pytest
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from traingate.validators.common.grouping import repeated_rows
from traingate.validators.common.normalize import hash_texts
from traingate.validators.format.schema_hash import value_hashes

ALPHABET = list("ab\x00\n é€😀")


def library(values: pa.Array) -> list[int]:
    return [xxhash.xxh64_intdigest((v or "").encode()) for v in values.to_pylist()]


@pytest.mark.parametrize("large", [False, True])
def test_every_length_hashes_as_xxh64(large: bool) -> None:
    rng = random.Random(3)
    values = [None if rng.random() < 0.05 else "".join(rng.choice(ALPHABET) for _ in range(n))
              for n in range(0, 41) for _ in range(20)]
    array = pa.array(values, pa.large_string() if large else pa.string())
    for part in (array, array.slice(7), array.slice(13, 300), array.slice(len(values)), array.slice(5, 1)):
        assert value_hashes(part).tolist() == hash_texts(part).tolist() == library(part)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(ALPHABET), max_size=40)), max_size=30),
       st.integers(0, 5))
def test_random_texts_hash_as_xxh64(values: list[str | None], start: int) -> None:
    array = pa.array(values, pa.string())
    for part in (array, array.slice(min(start, len(values)))):
        assert value_hashes(part).tolist() == library(part)


def test_edges() -> None:
    assert value_hashes(pa.array([], pa.string())).tolist() == []
    assert value_hashes(pa.array([None, None], pa.string())).tolist() == [xxhash.xxh64_intdigest(b"")] * 2
    numbers = pa.array([1, None, 123456789012, -5]).cast(pa.string())
    assert value_hashes(numbers).tolist() == library(numbers)
    assert value_hashes(pa.array(["x" * 100_000, "y"])).tolist() == [xxhash.xxh64_intdigest(b"x" * 100_000),
                                                                     xxhash.xxh64_intdigest(b"y")]


@pytest.mark.parametrize("distinct", [1, 3, 8, 9, 50, 100_000])
def test_repeated_rows_as_before(distinct: int) -> None:
    rng = np.random.default_rng(distinct)
    keys = rng.integers(0, distinct, 20_000).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    keys[:5] = keys[5:10] if distinct > 1 else keys[:5]
    ordered = np.sort(keys)
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    expected = np.zeros(len(keys), bool) if not len(repeated) else \
        repeated[np.minimum(np.searchsorted(repeated, keys), len(repeated) - 1)] == keys
    assert repeated_rows(keys).tolist() == expected.tolist()
    assert repeated_rows(np.arange(10, dtype=np.uint64)).tolist() == [False] * 10
    assert repeated_rows(np.zeros(0, np.uint64)).tolist() == []
