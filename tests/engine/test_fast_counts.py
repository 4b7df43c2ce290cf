"""Counting on cache-sized pieces and the ASCII shortcuts, pinned against what they replaced: words per value
over the whole buffer at once (the former WhitespaceTokenizer.count) and Python's bytes.split(); characters as
pyarrow's utf8_length; the ASCII test as bytes.isascii(). Adversarial arrays: unicode, empty, null, nulls that
hold bytes (ASCII or not), slices with offsets, large strings, and pieces of a few bytes, so that every value
boundary falls at a piece's edge somewhere."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine.test_whitespace_tokens import nulls_holding_bytes as nulls_holding
from traingate.data import tokenizers
from traingate.data.arrays import numbers, text_bytes
from traingate.data.tokenizers import WhitespaceTokenizer, _words, char_counts, is_ascii

ALPHABET = list("ab \t\n\r\x0b\x0c\x00\x1c\x1f\x85é€\u00a0\u3000😀")
texts = st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(ALPHABET), max_size=12)), max_size=25)


def whole_buffer(values: pa.Array) -> np.ndarray:
    """The former count: one pass over the whole buffer, nulls 0."""
    counts = _words(*text_bytes(values))
    if values.null_count:
        counts[~np.asarray(values.is_valid().to_pylist(), dtype=bool)] = 0
    return counts


def split_count(values: pa.Array) -> list[int]:
    return [0 if v is None else len(v.encode().split()) for v in values.to_pylist()]


def arrays(values: list[str | None], start: int, stop: int, large: bool) -> list[pa.Array]:
    array = pa.array(values, pa.large_string() if large else pa.string())
    return [array, array.slice(min(start, len(values)), stop)]


@settings(max_examples=300, deadline=None)
@given(texts, st.integers(0, 5), st.integers(0, 25), st.booleans(), st.sampled_from([1, 2, 3, 7, 64]))
def test_words_in_pieces_count_as_the_whole_buffer_did(values: list[str | None], start: int, stop: int,
                                                       large: bool, piece: int) -> None:
    before = tokenizers.PIECE_BYTES
    tokenizers.PIECE_BYTES = piece
    try:
        for array in arrays(values, start, stop, large):
            got = WhitespaceTokenizer().count(array)
            assert got.tolist() == whole_buffer(array).tolist() == split_count(array)
    finally:
        tokenizers.PIECE_BYTES = before


@pytest.mark.parametrize("piece", [1, 5, 1 << 17])
def test_words_of_nulls_holding_bytes(monkeypatch: pytest.MonkeyPatch, piece: int) -> None:
    monkeypatch.setattr(tokenizers, "PIECE_BYTES", piece)
    array = nulls_holding(["a b", "hidden words here", "", " c  d ", "€ é"], [False, True, False, False, True])
    assert WhitespaceTokenizer().count(array).tolist() == [2, 0, 0, 2, 0] == whole_buffer(array).tolist()


@settings(max_examples=300, deadline=None)
@given(texts, st.integers(0, 5), st.integers(0, 25), st.booleans())
def test_chars_as_utf8_length(values: list[str | None], start: int, stop: int, large: bool) -> None:
    for array in arrays(values, start, stop, large):
        assert char_counts(array).tolist() == numbers(pc.utf8_length(array), fill=0).astype(np.int64).tolist()


@pytest.mark.parametrize("hidden", ["hidden", "é hidden €"])
def test_chars_of_nulls_holding_bytes(hidden: str) -> None:
    array = nulls_holding(["ab", hidden, "", "xyz"], [False, True, False, False])
    assert char_counts(array).tolist() == [2, 0, 0, 3]
    assert char_counts(pa.array([], pa.string())).tolist() == [] and char_counts(pa.array([1, None, 300])).tolist() == [1, 0, 3]


@pytest.mark.parametrize("size", [0, 1, 7, 8, 9, 16, 17, 100])
def test_ascii_test_as_bytes_isascii(size: int) -> None:
    data = bytes(range(32, 32 + size % 90)) * (size // 90 + 1)
    data = data[:size]
    assert is_ascii(data) == data.isascii()
    for at in range(size):
        high = data[:at] + b"\x80" + data[at + 1:]
        assert not is_ascii(high) and not is_ascii(memoryview(high)) and not is_ascii(np.frombuffer(high, np.uint8))


@pytest.mark.parametrize("values", [np.arange(70_000), np.array([0, 1, 63, 64, 65, 127, 128, (1 << 16) - 1]),
                                    np.array([1 << 16, 5]), np.array([-1, 5]), np.array([1.5, 2.0, 64.0]),
                                    np.zeros(0, np.int64), np.array([3], np.uint32), np.array([32767, 0], np.int16)])
def test_histogram_bins_from_the_table_as_computed(values: np.ndarray) -> None:
    from traingate.engine.stats_bins import bin_of, bins_of

    assert bins_of(values).tolist() == bin_of(values).tolist()
