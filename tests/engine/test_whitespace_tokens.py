"""The whitespace tokenizer's counts and string_bytes, pinned against the implementation they replaced (kept
here as the reference) and against Python's bytes.split() on adversarial arrays: unicode, empty, null, nulls
that hold bytes, \\v and \\x1c-\\x1f, leading and trailing whitespace, slices with offsets, large strings."""

from __future__ import annotations

import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from traingate.data.tokenizers import WhitespaceTokenizer, string_bytes

ALPHABET = list("ab \t\n\r\x0b\x0c\x00\x1c\x1d\x1e\x1f\x85é€\u00a0\u2028\u3000😀")


def reference_bytes(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """string_bytes as it was: fill nulls with "" and cast to large_string."""
    values = pc.fill_null(values, "").cast(pa.large_string())
    raw = np.frombuffer(values.buffers()[1], dtype=np.int64)[values.offset: values.offset + len(values) + 1]
    data = values.buffers()[2]
    data_bytes = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return data_bytes[raw[0]: raw[-1]], raw - raw[0]


def reference_count(values: pa.Array) -> np.ndarray:
    """The word count as it was: several numpy passes over the bytes."""
    data, offsets = reference_bytes(values)
    counts = np.zeros(len(offsets) - 1, dtype=np.int64)
    if len(data) == 0:
        return counts
    word = (data > 32) | (data < 9) | ((data > 13) & (data < 32))
    starts = np.empty(len(word), dtype=bool)
    starts[0] = word[0]
    np.greater(word[1:], word[:-1], out=starts[1:])
    nonempty = np.diff(offsets) > 0
    firsts = offsets[:-1][nonempty]
    starts[firsts] = word[firsts]
    counts[nonempty] = np.add.reduceat(starts.view(np.int8), firsts, dtype=np.int32)
    return counts


def nulls_holding_bytes(texts: list[str], null_at: list[bool]) -> pa.Array:
    """A string array whose null slots still span bytes of the data buffer (valid Arrow, unusual)."""
    encoded = [t.encode() for t in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    valid = np.packbits(~np.asarray(null_at, dtype=bool), bitorder="little")
    return pa.Array.from_buffers(pa.string(), len(encoded), [pa.py_buffer(valid), pa.py_buffer(offsets),
                                                             pa.py_buffer(b"".join(encoded))])


texts = st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(ALPHABET), max_size=12)), max_size=20)


@settings(max_examples=300, deadline=None)
@given(texts, st.integers(0, 5), st.integers(0, 5), st.booleans())
def test_counts_equal_the_former_implementation(values: list[str | None], skip: int, cut: int, large: bool) -> None:
    array = pa.array(["x y", *values, "z"], pa.large_string() if large else pa.string())
    array = array.slice(min(skip, len(array)), max(0, len(array) - skip - cut))
    counts = WhitespaceTokenizer().count(array)
    assert counts.dtype == np.int64
    assert counts.tolist() == reference_count(array).tolist()
    assert counts.tolist() == [len(t.encode().split()) if t is not None else 0 for t in array.to_pylist()]
    data, offsets = string_bytes(array)
    want_data, want_offsets = reference_bytes(array)
    assert data.tobytes() == want_data.tobytes() and offsets.tolist() == want_offsets.tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet=st.sampled_from(ALPHABET), max_size=8), st.booleans()), min_size=1,
                max_size=12), st.integers(0, 3))
def test_nulls_holding_bytes_count_nothing(pairs: list[tuple[str, bool]], skip: int) -> None:
    array = nulls_holding_bytes([t for t, _ in pairs], [n for _, n in pairs]).slice(min(skip, len(pairs) - 1))
    assert WhitespaceTokenizer().count(array).tolist() == reference_count(array).tolist()
    data, offsets = string_bytes(array)
    want_data, want_offsets = reference_bytes(array)
    assert data.tobytes() == want_data.tobytes() and offsets.tolist() == want_offsets.tolist()


def test_empty_and_all_null_arrays() -> None:
    for array in (pa.array([], pa.string()), pa.nulls(3, pa.string()), pa.array(["", ""], pa.string())):
        assert WhitespaceTokenizer().count(array).tolist() == [0] * len(array)


def test_counting_does_not_load_pandas() -> None:
    """Read from the buffers: counting never goes through pyarrow's conversion bridge (which imports pandas)."""
    import subprocess

    code = ("import sys, pyarrow as pa; from traingate.data.tokenizers import WhitespaceTokenizer, string_bytes;"
            "from traingate.data.arrays import strings;"
            "a = pa.concat_arrays([strings(['a b', ' c ']), pa.nulls(1, pa.large_string())]);"
            "WhitespaceTokenizer().count(a); string_bytes(a);"
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "False"
