"""The pandas-free conversions agree with pyarrow's own on every offset, null and chunk layout."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from traingate.data.arrays import arrow_of, bools, numbers, scalar, strings

TYPES = [pa.int8(), pa.int32(), pa.int64(), pa.uint16(), pa.uint64(), pa.float32(), pa.float64()]


def _sliced(values: list[object], kind: pa.DataType, start: int, stop: int, split: int) -> pa.ChunkedArray:
    """`values` as a chunked array cut at `split`, each chunk a slice of a longer array (a non-zero offset)."""
    whole = pa.array([None, *values, None], kind).slice(1, len(values))
    part = whole.slice(start, max(stop - start, 0))
    cut = min(split, len(part))
    return pa.chunked_array([part.slice(0, cut), part.slice(cut)], kind)


@given(st.lists(st.one_of(st.none(), st.booleans()), max_size=40), st.integers(0, 40), st.integers(0, 40),
       st.integers(0, 40))
def test_bools_match_pyarrow(values: list[bool | None], start: int, stop: int, split: int) -> None:
    arr = _sliced(values, pa.bool_(), start, stop, split)
    expected = np.asarray(arr.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    assert bools(arr).tolist() == expected.tolist()
    assert bools(arr.combine_chunks()).tolist() == expected.tolist()


@pytest.mark.parametrize("kind", TYPES)
@given(values=st.lists(st.one_of(st.none(), st.integers(0, 100)), max_size=40), start=st.integers(0, 40),
       stop=st.integers(0, 40), split=st.integers(0, 40))
def test_numbers_match_pyarrow(kind: pa.DataType, values: list[int | None], start: int, stop: int, split: int) -> None:
    arr = _sliced(values, kind, start, stop, split)
    got = numbers(arr, fill=7)
    expected = arr.fill_null(7).to_numpy()
    assert got.dtype == expected.dtype
    assert got.tolist() == expected.tolist()


def test_round_trips() -> None:
    for values in (np.array([True, False, True] * 5), np.arange(9, dtype=np.int32), np.linspace(0, 1, 5)):
        back = arrow_of(values)
        assert back.to_pylist() == values.tolist()
        assert back.type == (pa.bool_() if values.dtype == np.bool_ else pa.from_numpy_dtype(values.dtype))
    assert strings(["a", "ünï", ""]).to_pylist() == ["a", "ünï", ""]
    assert scalar(3).as_py() == 3 and scalar(3, pa.int8()).type == pa.int8()
    assert scalar(False).as_py() is False and scalar("x", pa.string()).as_py() == "x"
    assert numbers(pa.chunked_array([], pa.int64())).dtype == np.int64


def test_wrong_types_are_refused() -> None:
    with pytest.raises(TypeError):
        bools(pa.array([1]))
    with pytest.raises(TypeError):
        numbers(pa.array(["a"]))
    with pytest.raises(TypeError):
        arrow_of(np.array(["a"]))


def test_no_pandas() -> None:
    code = ("import sys, numpy as np, pyarrow.compute as pc\n"
            "from traingate.data.arrays import arrow_of, bools, numbers, scalar, strings\n"
            "a = arrow_of(np.arange(5)); bools(pc.greater(a, scalar(2))); numbers(pc.fill_null(a, scalar(0)))\n"
            "strings(['x']); print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "False"
