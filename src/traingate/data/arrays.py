"""Arrow <-> numpy without pyarrow's pandas bridge.

pyarrow imports pandas (about 0.2 s, and as long again to tear down) the first time it turns an Arrow
array into numpy (`np.asarray`, `to_numpy`) or a Python or numpy value into Arrow (`pa.array`,
`pa.scalar`, `fill_null(False)`). The core row checks read and build the buffers directly instead, so a
contract that needs no pandas never loads it. Types these functions do not cover take pyarrow's own path.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa

__all__ = ["arrow_of", "bools", "numbers", "scalar", "strings", "text_bytes"]


@cache
def _floats() -> dict[pa.DataType, type[np.floating[Any]]]:
    """Built on first use, so importing this module executes neither library (cli/deferred.py)."""
    return {pa.float16(): np.float16, pa.float32(): np.float32, pa.float64(): np.float64}


def _dtype(kind: pa.DataType) -> np.dtype[Any] | None:
    if pa.types.is_integer(kind):
        return np.dtype(str(kind))
    return np.dtype(_floats()[kind]) if kind in _floats() else None


def _chunks(values: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return list(values.chunks) if isinstance(values, pa.ChunkedArray) else [values]


def _bits(buffer: pa.Buffer | None, offset: int, length: int) -> np.ndarray:
    if buffer is None or length == 0:
        return np.zeros(length, dtype=bool)
    raw = np.frombuffer(buffer, dtype=np.uint8)
    return np.unpackbits(raw, bitorder="little", count=offset + length)[offset:].astype(bool)


def _valid(chunk: pa.Array) -> np.ndarray | None:
    """Which values are not null, or None when none is."""
    if chunk.null_count == 0:
        return None
    return _bits(chunk.buffers()[0], chunk.offset, len(chunk))


def bools(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean array as numpy, null read as False."""
    parts = []
    for chunk in _chunks(values):
        if not pa.types.is_boolean(chunk.type):
            raise TypeError(f"bools() reads a boolean array, not {chunk.type}")
        out = _bits(chunk.buffers()[1], chunk.offset, len(chunk))
        valid = _valid(chunk)
        parts.append(out if valid is None else out & valid)
    if not parts:  # a chunked array of no chunks
        if not pa.types.is_boolean(values.type):
            raise TypeError(f"bools() reads a boolean array, not {values.type}")
        return np.zeros(0, dtype=np.bool_)
    return np.concatenate(parts) if len(parts) != 1 else parts[0]


def numbers(values: pa.Array | pa.ChunkedArray, fill: float | int = 0) -> np.ndarray:
    """An integer or floating array as numpy of its own dtype, null read as `fill`."""
    parts = []
    for chunk in _chunks(values):
        if pa.types.is_boolean(chunk.type):
            parts.append(bools(chunk).astype(np.int64))
            continue
        dtype = _dtype(chunk.type)
        if dtype is None:
            raise TypeError(f"numbers() reads an integer or floating array, not {chunk.type}")
        data = chunk.buffers()[1]
        out = (np.frombuffer(data, dtype=dtype, count=chunk.offset + len(chunk))[chunk.offset:]
               if data is not None and len(chunk) else np.zeros(len(chunk), dtype=dtype))
        valid = _valid(chunk)
        parts.append(out if valid is None else np.where(valid, out, np.asarray(fill, dtype=dtype)))
    if not parts:
        kind = values.type
        dtype = np.dtype(np.int64) if pa.types.is_boolean(kind) else _dtype(kind)
        if dtype is None:
            raise TypeError(f"numbers() reads an integer or floating array, not {kind}")
        return np.zeros(0, dtype=dtype)
    return np.concatenate(parts) if len(parts) != 1 else parts[0]


def arrow_of(values: np.ndarray) -> pa.Array:
    """A one-dimensional numpy array of booleans or numbers as an Arrow array without nulls."""
    values = np.ascontiguousarray(values)
    if values.ndim != 1:
        raise ValueError("arrow_of() takes a one-dimensional array")
    if values.dtype == np.bool_:
        packed = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(packed)])
    kind = pa.from_numpy_dtype(values.dtype)
    if _dtype(kind) is None:
        raise TypeError(f"arrow_of() builds booleans or numbers, not {values.dtype}")
    return pa.Array.from_buffers(kind, len(values), [None, pa.py_buffer(values)])


def strings(values: list[str]) -> pa.Array:
    """Python strings as an Arrow string array (no nulls)."""
    encoded = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return pa.Array.from_buffers(pa.large_string(), len(encoded),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))])


def scalar(value: bool | int | float | str, kind: pa.DataType | None = None) -> pa.Scalar:
    """An Arrow scalar, of `kind` when given (a compute kernel's argument)."""
    if isinstance(value, str):
        out = strings([value])[0]
        return out if kind is None else out.cast(kind)
    array = arrow_of(np.asarray([value]) if kind is None else np.asarray([value], dtype=_dtype(kind) or np.bool_))
    return array[0]


def text_bytes(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Every value's bytes as stored (a null's too) and the offsets into them, from 0."""
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        values = values.cast(pa.string())
    if len(values) == 0:
        return np.zeros(0, np.uint8), np.zeros(1, np.int64)
    _, offset_buffer, data = values.buffers()
    kind = np.int64 if pa.types.is_large_string(values.type) else np.int32
    raw = np.frombuffer(offset_buffer, dtype=kind)[values.offset: values.offset + len(values) + 1].astype(np.int64)
    data_bytes = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return data_bytes[raw[0]: raw[-1]], raw - raw[0]
