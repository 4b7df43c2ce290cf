"""One reader per format: a file -> chunks of projected Arrow rows plus the faults met on the way (JSON lines:
data/jsonl_reader.py; CSV: data/csv_reader.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from traingate.data.chunk import Chunk, LineFilter, max_line_bytes, project
from traingate.data.jsonl_block import loads
from traingate.data.jsonl_reader import read_jsonl
from traingate.data.rows import rows_to_table
from traingate.data.sources import SourceFile
from traingate.errors import SourceError
from traingate.results.model import Fault

ROWS_PER_CHUNK = 8192


def open_raw(source: SourceFile, block: int | None = None) -> BinaryIO:
    """The file's bytes: a local file, or a remote object through fsspec (`data/remote.py`: each read one
    ranged request, `block` bounding what a short read fetches beyond itself)."""
    if "://" in source.path:
        from traingate.data.remote_file import open_remote
        stream: BinaryIO = open_remote(source.location, source.size, block, source.etag)  # type: ignore[assignment]
        return stream
    try:
        return open(source.path, "rb")
    except OSError as exc:  # e.g. removed or made unreadable after the run listed it
        raise SourceError(f"{source.path}: cannot be read ({exc.strerror or exc})") from exc


def _stream(raw: BinaryIO, source: SourceFile) -> Any:
    """The file's bytes decompressed. pyarrow's decompressor reads its source 64 KiB at a time: a remote
    object is read through a buffer of TRAINGATE_REMOTE_BLOCK_BYTES, so that each request fetches that much
    (a 1 GB object in 250 requests of 4 MiB, not 16,000 of 64 KiB)."""
    if not source.compression:
        return raw
    if "://" in source.path:
        from traingate.data.remote_requests import block_bytes
        return pa.input_stream(raw, compression=source.compression, buffer_size=block_bytes())
    return pa.CompressedInputStream(raw, source.compression)


def read_source(source: SourceFile, columns: set[str] | None, raw: BinaryIO,
                wanted: LineFilter | None = None, expected: dict[str, str] | None = None) -> Iterator[Chunk]:
    """`wanted` lets JSON lines skip parsing blocks whose lines are not needed (other formats read all);
    `expected`: column types decided earlier in the run, which mixed JSON values keep (`column_types`)."""
    stream = _stream(raw, source)
    try:
        if source.format == "jsonl":
            yield from read_jsonl(stream, source, columns, wanted=wanted, expected=expected)
        elif source.format == "json":
            yield from read_json(stream, source, columns, wanted, expected)
        elif source.format in ("csv", "tsv"):
            yield from read_csv(stream, source, columns)
        elif source.format == "parquet":
            yield from read_parquet(raw, source, columns)
        else:
            yield from read_arrow(raw, source, columns)
    except (pa.ArrowInvalid, OSError) as exc:
        raise SourceError(f"{source.path}: cannot read as {source.format}: {exc}") from exc


_BLANK = re.compile(r"[ \t\n\r]*")


def _skip_blank(text: str, position: int) -> int:
    match = _BLANK.match(text, position)
    return match.end() if match else position


def _array_items(text: str, path: str) -> tuple[list[Any], list[int]]:
    """The items of a JSON array and the line each starts on (the standard library's decoder, item by item,
    as it says where each item ends)."""
    decoder, items, lines = json.JSONDecoder(), [], []
    position, line = _skip_blank(text, text.index("[") + 1), 1
    counted = 0
    try:
        while text[position: position + 1] != "]":
            line, counted = line + text.count("\n", counted, position), position
            value, end = decoder.raw_decode(text, position)
            items.append(value)
            lines.append(line)
            position = _skip_blank(text, end)
            if text[position: position + 1] == ",":
                position = _skip_blank(text, position + 1)
            elif text[position: position + 1] != "]":
                raise json.JSONDecodeError("expected ',' or ']'", text, position)
        if text[_skip_blank(text, position + 1):]:
            raise json.JSONDecodeError("content after the array", text, position + 1)
    except (json.JSONDecodeError, IndexError) as exc:
        raise SourceError(f"{path}: not valid JSON ({exc}); a JSON array file must parse as a whole") from exc
    return items, lines


def read_json(stream: Any, source: SourceFile, columns: set[str] | None,
              wanted: LineFilter | None = None, expected: dict[str, str] | None = None) -> Iterator[Chunk]:
    """A JSON array: each item at the line it starts on, or, when items share lines (a compact array), at
    its item number (unit "item"), so a location always tells one row from another."""
    head = stream.read(64)
    if head.lstrip()[:1] != b"[":
        yield from read_jsonl(stream, source, columns, first=head, wanted=wanted, expected=expected)
        return
    try:
        text = (head + stream.read()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{source.path}: not valid UTF-8 ({exc}); a JSON array file must decode as a whole") from exc
    try:
        items = loads(text)  # the values a JSONL line would give (no lone surrogates)
    except ValueError as exc:
        raise SourceError(f"{source.path}: not valid JSON ({exc}); a JSON array file must parse as a whole") from exc
    _, starts = _array_items(text, source.path)
    unit = "line" if len(set(starts)) == len(starts) else "item"
    numbers_of = starts if unit == "line" else list(range(1, len(items) + 1))
    for start in range(0, len(items), ROWS_PER_CHUNK):
        faults: list[Fault] = []
        rows, numbers = [], []
        for number, item in zip(numbers_of[start: start + ROWS_PER_CHUNK], items[start: start + ROWS_PER_CHUNK]):
            if isinstance(item, dict):
                rows.append(item)
                numbers.append(number)
            else:
                faults.append(Fault(file=source.path, line=number, unit=unit, kind="not_an_object",
                                    message=f"array item is {type(item).__name__}, not an object"))
        mismatched: list[tuple[str, str, int]] | None = None if expected is None else []
        table = rows_to_table(rows, numbers, columns, source.path, unit, faults, expected, mismatched)
        yield Chunk(table, -1, np.asarray(numbers, dtype=np.int64), unit, faults, mismatched=mismatched or [])


def read_csv(stream: Any, source: SourceFile, columns: set[str] | None) -> Iterator[Chunk]:
    """Every CSV or TSV value is read as text; checks that need numbers parse them and report failures.
    Records are parsed strictly (`csv_reader`): a broken quote is one unreadable record at its line."""
    from traingate.data.csv_reader import read_csv_records

    for table, lines, faults in read_csv_records(stream, source.path, source.format == "tsv", columns,
                                                 max_line_bytes(), ROWS_PER_CHUNK):
        yield Chunk(table, -1, lines, "line", faults)


def read_parquet(raw: Any, source: SourceFile, columns: set[str] | None) -> Iterator[Chunk]:
    pf = parquet_file(raw)
    names = [c for c in pf.schema_arrow.names if columns is None or c in columns]
    row = 0
    for batch in pf.iter_batches(batch_size=ROWS_PER_CHUNK, columns=names):
        yield Chunk(pa.Table.from_batches([batch]), -1, np.arange(row + 1, row + 1 + batch.num_rows), "row")
        row += batch.num_rows


def read_arrow(raw: Any, source: SourceFile, columns: set[str] | None) -> Iterator[Chunk]:
    data = pa.py_buffer(raw.read())
    try:
        batches: Any = ipc.open_file(data)
        batches = [batches.get_batch(i) for i in range(batches.num_record_batches)]
    except pa.ArrowInvalid:
        batches = ipc.open_stream(data)
    row = 0
    for batch in batches:
        table = project(pa.Table.from_batches([batch]), columns)
        yield Chunk(table, -1, np.arange(row + 1, row + 1 + table.num_rows), "row")
        row += table.num_rows


def parquet_file(source: Any) -> Any:
    import pyarrow.parquet as pq  # imported when a Parquet file is read: ~50 ms at start-up otherwise

    return pq.ParquetFile(source)
