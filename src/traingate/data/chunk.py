"""What every reader yields: a chunk of projected Arrow rows with their line (item, row) numbers and the
faults met on the way, and where a JSON lines block lies so that a second look can read it alone."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from traingate.data.sources import SourceFile
from traingate.results.model import Fault

DEFAULT_MAX_LINE_BYTES = 64 << 20

if TYPE_CHECKING:  # annotations only: importing this module reads nothing of numpy (cli/deferred.py)
    Buffer = bytes | bytearray | memoryview | np.ndarray  # bytes of whole JSON lines (np.uint8 when an array)

LineFilter = Callable[[int, int], bool | None]  # (first line, last line) of a block -> parse it? None: stop


def as_view(block: Buffer) -> memoryview:
    """A block's bytes without a copy."""
    return block.data if isinstance(block, np.ndarray) else memoryview(block)


@dataclass
class Chunk:
    table: pa.Table
    file_index: int
    lines: np.ndarray  # 1-based line, item or row number of each row in the file
    unit: str
    faults: list[Fault] = field(default_factory=list)
    span: Span | None = None  # where a JSON lines block lies in an uncompressed file
    mismatched: list[tuple[str, str, int]] = field(default_factory=list)  # (column, type, line) set to null
    schema: pa.Schema | None = None  # what pyarrow inferred for the whole block, when it parsed it


@dataclass(frozen=True)
class Span:
    """A block of JSON lines: its first line number and byte range, so a second look can read it alone."""

    first_line: int
    start: int
    end: int
    schema: bytes | None = None  # pyarrow's for the block parsed whole, in Arrow's form (data/lookup.py)


def project(table: pa.Table, columns: set[str] | None) -> pa.Table:
    return table if columns is None else table.select([c for c in table.column_names if c in columns])


def max_line_bytes() -> int:
    """The longest line (or CSV record) read, in bytes: TRAINGATE_MAX_LINE_BYTES, default 64 MiB. A longer
    one is one unreadable record (`line_too_long`), so a file without newlines is read in linear time and
    bounded memory."""
    return int(os.environ.get("TRAINGATE_MAX_LINE_BYTES", DEFAULT_MAX_LINE_BYTES))


def too_long(source: SourceFile, line: int, limit: int, unit: str = "line") -> Fault:
    return Fault(file=source.path, line=line, kind="line_too_long",
                 message=f"{unit} {line} is longer than {limit:,} bytes (TRAINGATE_MAX_LINE_BYTES); it is not read")


def fault_chunk(faults: list[Fault]) -> Chunk:
    return Chunk(pa.table({}), -1, np.zeros(0, dtype=np.int64), "line", faults)
