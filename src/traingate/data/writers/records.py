"""The kept records of CSV and TSV files and of JSON array files, in their original form.

CSV and TSV: a record may span lines (a quoted value holding newlines), so the file is read once with
traingate's own reader for where each record starts (its rows, and the records it could not read), and the
lines are then copied byte for byte: the lines before the first record (the header) and every line of each
kept record, up to where the next record starts. JSON arrays: the kept items' text as it stands in the
file, in a new array; each item numbered as the reader numbers it (the line it starts on, or its place
when items share lines)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np
import orjson

from traingate.data.readers import open_raw, read_source
from traingate.data.sources import SourceFile
from traingate.data.writers.lines import copy_lines
from traingate.data.writers.output import row_line
from traingate.errors import SourceError


def member(numbers: np.ndarray, rejected: np.ndarray) -> np.ndarray:
    """Which numbers are in `rejected` (sorted)."""
    if not len(rejected) or not len(numbers):
        return np.zeros(len(numbers), dtype=bool)
    at = np.minimum(np.searchsorted(rejected, numbers), len(rejected) - 1)
    found: np.ndarray = rejected[at] == numbers
    return found


def decompressed(raw: Any, source: SourceFile) -> Any:
    import pyarrow as pa

    return pa.CompressedInputStream(raw, source.compression) if source.compression else raw


def csv_starts(source: SourceFile, rejected: np.ndarray, out: BinaryIO | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """The line each record starts on, sorted, and which of them could not be read; with `out`, each kept
    row written to it as a JSON line (its values as text, under the header's names), and how many were."""
    starts: list[np.ndarray] = []
    faults: list[int] = []
    written = 0
    with open_raw(source) as raw:
        for chunk in read_source(source, None, raw):
            faults += [f.line for f in chunk.faults]
            starts.append(chunk.lines.astype(np.int64))
            if out is not None and chunk.table.num_rows:
                kept = ~member(chunk.lines, rejected)
                for row in chunk.table.filter(kept).to_pylist():
                    out.write(row_line(row))
                written += int(kept.sum())
    unread = np.unique(np.asarray(faults, dtype=np.int64))
    return np.unique(np.concatenate([*starts, unread])), unread, written


def copy_csv(source: SourceFile, rejected: np.ndarray, out: BinaryIO) -> int:
    """Copy the header and the kept records of a CSV or TSV file byte for byte; how many records were kept.
    A record that could not be read is never kept, named in `rejected` or not."""
    starts, unread, _ = csv_starts(source, rejected)
    kept_record = ~member(starts, rejected) & ~member(starts, unread)

    def keep(lines: np.ndarray, blank: np.ndarray) -> np.ndarray:
        if not len(starts):  # a header and no record: every line is the header's
            return np.ones(len(lines), dtype=bool)
        record = np.searchsorted(starts, lines, side="right") - 1
        return np.where(record < 0, True, kept_record[np.maximum(record, 0)])

    with open_raw(source) as raw:
        copy_lines(decompressed(raw, source), out, keep)
    return int(kept_record.sum())


def _items(text: str, path: str) -> Iterator[tuple[int, int, int]]:
    """(start, end, line) of each item of a JSON array, as data/readers.py reads it."""
    decoder = json.JSONDecoder()
    blank = " \t\n\r"
    position, line, counted = text.index("[") + 1, 1, 0
    while position < len(text) and text[position] in blank:
        position += 1
    try:
        while text[position: position + 1] != "]":
            line, counted = line + text.count("\n", counted, position), position
            _, end = decoder.raw_decode(text, position)
            yield position, end, line
            position = end
            while position < len(text) and text[position] in blank + ",":
                position += 1
    except (json.JSONDecodeError, IndexError) as exc:
        raise SourceError(f"{path}: not valid JSON ({exc}); a JSON array file must parse as a whole") from exc


def _value(item: str) -> Any:
    try:
        return orjson.loads(item)
    except orjson.JSONDecodeError:
        return json.loads(item)  # NaN, Infinity


def write_json_array(source: SourceFile, rejected: np.ndarray, out: BinaryIO, lines: bool) -> int:
    """The kept items of a JSON array file: their text in a new array, or (`lines`) each as a JSON line.
    How many were kept. A file of JSON lines named .json is copied as JSON lines."""
    with open_raw(source) as raw:
        data = decompressed(raw, source).read()
    if data.lstrip()[:1] != b"[":
        from io import BytesIO

        return copy_lines(BytesIO(data), out, lambda n, blank: ~member(n, rejected) & ~blank, whole=lines)
    text = data.decode("utf-8")
    spans = list(_items(text, source.path))
    numbered = [line for _, _, line in spans]
    if len(set(numbered)) != len(numbered):  # items share lines: numbered by place, as the reader does
        numbered = list(range(1, len(spans) + 1))
    dropped = member(np.asarray(numbered, dtype=np.int64), rejected).tolist()
    kept = 0
    out.write(b"" if lines else b"[")
    for (start, end, _), gone in zip(spans, dropped):
        item = text[start:end]
        if gone or not item.startswith("{"):  # an item that is not an object is not a row
            continue
        out.write(row_line(_value(item)) if lines else (b",\n" if kept else b"\n") + item.encode("utf-8"))
        kept += 1
    out.write(b"" if lines else b"\n]\n")
    return kept
