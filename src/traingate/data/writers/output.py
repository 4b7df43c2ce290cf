"""An output file of `filter`: written to a temporary file beside it and renamed into place when whole, so a
failed write (a full disk) leaves no partial file; compressed as the input was (gzip, zstd, bz2)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import pyarrow as pa

from traingate.errors import OutputError


@contextlib.contextmanager
def temporary_path(path: str) -> Iterator[str]:
    """A fresh path beside `path` to write to; renamed over `path` when the block ends without an error."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    if target.is_dir():
        raise OutputError(f"cannot write {target}: it is a directory")
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        yield str(temporary)
        os.replace(temporary, target)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


@contextlib.contextmanager
def opened(path: str, compression: str | None = None) -> Iterator[BinaryIO]:
    """A binary stream writing `path` whole or not at all, through `compression` when given."""
    with temporary_path(path) as temporary, open(temporary, "wb") as raw:
        if compression is None:
            yield raw
            return
        stream: Any = pa.CompressedOutputStream(raw, compression)
        try:
            yield stream
        finally:
            stream.close()


def _plain(value: Any) -> Any:
    """What orjson does not write: bytes (as UTF-8 text, else as a list of byte values), decimals and others
    (as text)."""
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return list(bytes(value))
    return str(value)


def json_line(row: dict[str, Any]) -> bytes:
    """One row as a JSON line; NaN and infinities as JSON lines readers (and traingate) read them."""
    try:
        return orjson.dumps(row, default=_plain, option=orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):  # a lone surrogate, an integer past 64 bits
        return (json.dumps(row, default=_plain, ensure_ascii=False) + "\n").encode("utf-8", "surrogatepass")


def has_special_floats(row: Any) -> bool:
    """Whether a value holds NaN or an infinity (orjson writes them as null)."""
    if isinstance(row, float):
        return row != row or row in (float("inf"), float("-inf"))
    if isinstance(row, dict):
        return any(has_special_floats(v) for v in row.values())
    if isinstance(row, list):
        return any(has_special_floats(v) for v in row)
    return False


def row_line(row: dict[str, Any]) -> bytes:
    """A row as a JSON line that reads back as the same values (NaN kept as NaN)."""
    if has_special_floats(row):
        return (json.dumps(row, default=_plain, ensure_ascii=False) + "\n").encode("utf-8", "surrogatepass")
    return json_line(row)
