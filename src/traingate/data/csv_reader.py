"""CSV and TSV: every value as text, each record with the line it starts on, parsed strictly.

A quoted value may hold newlines (RFC 4180). A quote that is never closed, or a closing quote followed by
anything but a delimiter or a line end, makes the record that opened it one unreadable record at its line;
reading resumes on the next line, so the rows after it are not swallowed into one value. A record longer
than the line limit is unreadable too.

Runs of records whose quoting an exact scan vouches for (`csv_scan`) are read by pyarrow; the strict
parser (`csv_strict`, Python's csv module) reads from the first record the scan cannot vouch for, or that
pyarrow refuses, and the fast path resumes after it. Both give the same rows and lines."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from traingate.data.csv_scan import parse, scan
from traingate.data.csv_strict import Buffer, Lines, next_record
from traingate.data.rows import excerpt
from traingate.results.model import Fault

BLOCK_BYTES = 8 << 20
MIN_WINDOW = 64 << 10  # the fast path's window just after the strict parser read
MIN_STRICT = 4 << 10  # bytes the strict parser reads when it takes over, so that scans stay a small cost
Output = tuple[pa.Table, np.ndarray, list[Fault]]


def to_table(rows: list[list[str]], names: list[str], keep: list[int]) -> pa.Table:
    """Rows of text values -> a table of the kept columns (every value a string)."""
    columns = list(zip(*rows)) if rows else [() for _ in names]
    return pa.table({names[i]: pa.array(columns[i], pa.string()) for i in keep})


class _Rows:
    """The header, then the records the strict parser reads and the faults, until they make a chunk."""

    def __init__(self, path: str, tsv: bool, columns: set[str] | None):
        self.path, self.tsv, self.columns = path, tsv, columns
        self.names: list[str] | None = None
        self.keep: list[int] = []
        self.rows: list[list[str]] = []
        self.lines: list[int] = []
        self.faults: list[Fault] = []

    def fast(self) -> bool:
        """Whether pyarrow may read: a header of distinct names, some of them wanted."""
        return self.names is not None and len(set(self.names)) == len(self.names) and bool(self.keep)

    def add(self, item: tuple[int, list[str]] | Fault) -> None:
        if isinstance(item, Fault):
            self.faults.append(item)
            return
        line, values = item
        if self.names is None:
            self.names = values
            self.keep = [i for i, n in enumerate(values) if self.columns is None or n in self.columns]
        elif len(values) != len(self.names):
            self.faults.append(Fault(file=self.path, line=line, kind="bad_csv_row",
                                     message=f"expected {len(self.names)} columns, got {len(values)}",
                                     excerpt=excerpt(("\t" if self.tsv else ",").join(values))))
        else:
            self.rows.append(values)
            self.lines.append(line)

    def flush(self) -> Iterator[Output]:
        if self.rows or self.faults:
            yield to_table(self.rows, self.names or [], self.keep), np.asarray(self.lines, dtype=np.int64), self.faults
        self.rows, self.lines, self.faults = [], [], []


def read_csv_records(stream: Any, path: str, tsv: bool, columns: set[str] | None, limit: int,
                     rows_per_chunk: int) -> Iterator[Output]:
    csv.field_size_limit(max(limit, csv.field_size_limit()))
    buffer = Buffer(stream, BLOCK_BYTES)
    lines, out = Lines(buffer, limit), _Rows(path, tsv, columns)
    size, strict_to = BLOCK_BYTES, 0
    while True:
        if not out.fast() or buffer.pos < strict_to:
            item = next_record(lines, path, tsv)
            if item is None:
                break
            out.add(item)
            if len(out.rows) >= rows_per_chunk:
                yield from out.flush()
            continue
        start, names = buffer.pos, out.names or []
        window, final = buffer.window(size)
        if final and not window:
            break
        vouched = scan(window, tsv, limit, final)
        kept = [names[i] for i in out.keep]
        table = parse(window[: vouched.end], names, kept, tsv) if vouched.end else None
        if table is not None and table.num_rows == vouched.lines.size:
            yield from out.flush()
            numbers = buffer.line + vouched.lines
            for i in range(0, table.num_rows, rows_per_chunk):
                yield table.slice(i, rows_per_chunk), numbers[i: i + rows_per_chunk], []
            buffer.pos, buffer.line = buffer.pos + vouched.end, buffer.line + vouched.newlines
            size = min(2 * size, BLOCK_BYTES)
        elif vouched.end > MIN_WINDOW:
            size = vouched.end // 2  # pyarrow refused a record: look closer
        else:  # the strict parser reads past the record the scan stopped at (or pyarrow refused)
            reach = vouched.end or (vouched.stop + 1 if vouched.stop < len(window) else 1)
            strict_to, size = start + max(reach, MIN_STRICT), MIN_WINDOW
    yield from out.flush()
