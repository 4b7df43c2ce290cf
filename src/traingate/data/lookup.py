"""A second look at the data: read back the few rows a check wants to show (by file and line). Blocks of
JSON lines whose place the first pass noted are read alone, side by side; other files are read from the
start up to their last wanted line."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.ipc
import pyarrow.json as pjson

from traingate.data.chunk import Chunk, Span, project
from traingate.data.jsonl_block import NEWLINE, line_bounds, one_object_per_line, parse_block
from traingate.data.readers import open_raw, read_source
from traingate.data.rowids import LINE_BITS, split_row_id
from traingate.data.sources import SourceFile

__all__ = ["LINE_BITS", "fetch_rows", "field_text", "split_row_id"]


def fetch_rows(files: list[SourceFile], columns: set[str] | None, wanted: set[int],
               blocks: dict[int, list[Span]] | None = None) -> dict[int, dict[str, Any]]:
    """Records of the wanted row ids, by row id."""
    by_file: dict[int, set[int]] = defaultdict(set)
    for row_id in wanted:
        file_index, line = split_row_id(row_id)
        by_file[file_index].add(line)
    found: dict[int, dict[str, Any]] = {}
    for file_index, lines in sorted(by_file.items()):
        targets = np.sort(np.fromiter(lines, dtype=np.int64))
        spans = (blocks or {}).get(file_index)
        chunks = _blocks(files[file_index], columns, targets, spans) if spans else \
            _prefix(files[file_index], columns, targets)
        for chunk in chunks:
            for pos in np.flatnonzero(np.isin(chunk.lines, targets)):
                found[(file_index << LINE_BITS) | int(chunk.lines[pos])] = chunk.table.slice(int(pos), 1).to_pylist()[0]
    return found


def _prefix(source: SourceFile, columns: set[str] | None, targets: np.ndarray) -> Iterator[Chunk]:
    """The chunks holding targets, reading the file from its start and stopping after the last one."""
    def holds_target(first: int, last: int) -> bool | None:
        position = int(np.searchsorted(targets, first))
        if position == len(targets):
            return None  # past the last wanted line: stop reading
        return int(targets[position]) <= last

    with open_raw(source) as raw:
        yield from read_source(source, columns, raw, holds_target)


def _blocks(source: SourceFile, columns: set[str] | None, targets: np.ndarray, spans: list[Span]) -> Iterator[Chunk]:
    """The blocks the first pass read that hold targets, each read alone (two side by side): of a block pyarrow
    parsed whole, only the wanted lines are parsed (`_lines_alone`); another is parsed whole again."""
    spans = sorted(spans, key=lambda s: s.first_line)
    firsts = np.array([s.first_line for s in spans], dtype=np.int64)
    at = np.searchsorted(firsts, targets, side="right") - 1
    needed = sorted({int(i) for i in at if i >= 0})

    def read(index: int) -> Chunk:
        span = spans[index]
        with open_raw(source) as raw:
            raw.seek(span.start)
            data = raw.read(span.end - span.start)
        alone = _lines_alone(data, span, targets[at == index], columns)
        return alone if alone is not None else parse_block(data, span.first_line, columns, source)

    with ThreadPoolExecutor(max_workers=2) as pool:
        yield from pool.map(read, needed)


def _lines_alone(data: bytes, span: Span, lines: np.ndarray, columns: set[str] | None) -> Chunk | None:
    """The wanted lines of a block pyarrow parsed whole (every line of it one record), parsed alone with the
    schema it inferred for the block, which gives each the values the whole block gave it. None when the block
    was not parsed so, its bytes no longer hold one object a line (a file rewritten since the pass: a `null`
    line would crash pyarrow), or reading the lines alone does not give one record each in that schema."""
    if span.schema is None or not data or len(data) != span.end - span.start:
        return None
    view = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(view == NEWLINE)
    starts, stops = line_bounds(view, ends)
    offsets = lines - span.first_line
    if len(lines) == 0 or offsets[0] < 0 or offsets[-1] >= len(stops) or not one_object_per_line(view, ends):
        return None
    picked = b"\n".join(data[int(a): int(b)] for a, b in zip(starts[offsets], stops[offsets]))
    try:
        schema = pa.ipc.read_schema(pa.py_buffer(span.schema))
        table = pjson.read_json(pa.BufferReader(picked),
                                read_options=pjson.ReadOptions(block_size=max(1 << 20, len(picked) + 1)),
                                parse_options=pjson.ParseOptions(explicit_schema=schema))
        table.validate()
    except pa.ArrowInvalid:
        return None
    if table.num_rows != len(lines) or not table.schema.equals(schema):
        return None
    return Chunk(project(table, columns), -1, lines, "line")


def field_text(record: dict[str, Any], path: str, content_keys: tuple[str, ...]) -> str:
    """Plain text of a logical field in a record: strings as they are, message lists joined by turn."""
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, dict):
        value = next((value[k] for k in content_keys if k in value), "")
    if isinstance(value, list):
        parts = [field_text({"t": item}, "t", content_keys) for item in value]
        return "\n".join(p for p in parts if p)
    return "" if value is None else str(value)
