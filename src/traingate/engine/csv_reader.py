"""CSV and TSV, parsed strictly, record by record, with the line each record starts on.

A quoted value may hold newlines (RFC 4180). A quote that is never closed, or a closing quote followed by
anything but a delimiter or a line end, makes the record that opened it one unreadable record at its line;
reading resumes on the next line, so the rows after it are not swallowed into one value. A record longer
than the line limit is unreadable too."""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from traingate.engine.rows import excerpt
from traingate.results.model import Fault

BLOCK_BYTES = 8 << 20
_MESSAGES = {"unexpected end of data": "a quote opened in this record is never closed (it runs to the end of the file)",
             "',' expected after '\"'": "a closing quote is followed by more text, not a delimiter or line end "
                                         "(a quote in this record may be unclosed)"}


class _TooLong(Exception):
    pass


class _BadBytes(Exception):
    pass


class _Lines:
    """The physical lines of a stream (each with its newline), read linearly; lines of the record being
    parsed are kept so that a broken record can be read again from its second line."""

    def __init__(self, stream: Any, limit: int):
        self.stream, self.limit = stream, limit
        self.replay: deque[tuple[int, str]] = deque()
        self.record: list[tuple[int, str]] = []
        self.record_bytes = 0
        self.next_line = 1
        self._raw = self._split()

    def _split(self) -> Iterator[bytes]:
        pieces: list[bytes] = []
        while data := self.stream.read(BLOCK_BYTES):
            start = 0
            while (cut := data.find(b"\n", start)) >= 0:
                yield b"".join([*pieces, data[start: cut + 1]])
                pieces, start = [], cut + 1
            pieces.append(data[start:])
        if tail := b"".join(pieces):
            yield tail

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.replay:
            number, text = self.replay.popleft()
        else:
            raw = next(self._raw)
            number, self.next_line = self.next_line, self.next_line + 1
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.record.append((number, raw.decode("utf-8", "replace")))
                raise _BadBytes(f"byte {exc.start} of line {number} is not valid UTF-8") from exc
        self.record.append((number, text))
        self.record_bytes += len(text)
        if self.record_bytes > self.limit:
            raise _TooLong(f"a record from line {self.record[0][0]} runs past {self.limit:,} bytes "
                           "(TRAINGATE_MAX_LINE_BYTES); a quote may never close")
        return text

    def start(self) -> None:
        self.record, self.record_bytes = [], 0

    def resume(self) -> tuple[int, str]:
        """After a broken record: its first line and text; reading goes on from its second line."""
        self.replay.extendleft(reversed(self.record[1:]))
        return self.record[0][0], "".join(t for _, t in self.record)


def records(stream: Any, path: str, tsv: bool, limit: int) -> Iterator[tuple[int, list[str]] | Fault]:
    """(line, values) of each record, or a Fault for a record that cannot be read; blank lines are skipped."""
    csv.field_size_limit(max(limit, csv.field_size_limit()))
    lines = _Lines(stream, limit)
    dialect: dict[str, Any] = {"delimiter": "\t", "quoting": csv.QUOTE_NONE} if tsv else {}
    reader = csv.reader(lines, strict=True, **dialect)
    while True:
        lines.start()
        try:
            values = next(reader)
        except StopIteration:
            if not lines.record:
                return
            values, error = [], _MESSAGES["unexpected end of data"]
        except (csv.Error, _TooLong, _BadBytes) as exc:
            values, error = [], _MESSAGES.get(str(exc), str(exc))
        else:
            if values:
                yield lines.record[0][0], values
            continue
        line, text = lines.resume()
        kind = "invalid_utf8" if "UTF-8" in error else "line_too_long" if "TRAINGATE_MAX" in error else "bad_csv_row"
        yield Fault(file=path, line=line, kind=kind, message=error, excerpt=excerpt(text))
        reader = csv.reader(lines, strict=True, **dialect)


def to_table(rows: list[list[str]], names: list[str], keep: list[int]) -> pa.Table:
    """Rows of text values -> a table of the kept columns (every value a string)."""
    columns = list(zip(*rows)) if rows else [() for _ in names]
    return pa.table({names[i]: pa.array(columns[i], pa.string()) for i in keep})


def read_csv_records(stream: Any, path: str, tsv: bool, columns: set[str] | None, limit: int,
                     rows_per_chunk: int) -> Iterator[tuple[pa.Table, np.ndarray, list[Fault]]]:
    names: list[str] | None = None
    keep: list[int] = []
    rows: list[list[str]] = []
    lines: list[int] = []
    faults: list[Fault] = []
    for item in records(stream, path, tsv, limit):
        if isinstance(item, Fault):
            faults.append(item)
            continue
        line, values = item
        if names is None:
            names = values
            keep = [i for i, n in enumerate(names) if columns is None or n in columns]
        elif len(values) != len(names):
            faults.append(Fault(file=path, line=line, kind="bad_csv_row",
                                message=f"expected {len(names)} columns, got {len(values)}",
                                excerpt=excerpt((',' if not tsv else '\t').join(values))))
        else:
            rows.append(values)
            lines.append(line)
            if len(rows) >= rows_per_chunk:
                yield to_table(rows, names, keep), np.asarray(lines, dtype=np.int64), faults
                rows, lines, faults = [], [], []
    if rows or faults:
        yield to_table(rows, names or [], keep), np.asarray(lines, dtype=np.int64), faults
