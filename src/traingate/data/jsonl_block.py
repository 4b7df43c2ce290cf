"""One block of whole JSON lines parsed: by pyarrow when each line is one object and the block is clean,
else line by line (orjson), each line that is not one JSON object a fault at its own number."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pjson

from traingate.data.chunk import Chunk, as_view, max_line_bytes, project, too_long
from traingate.data.rows import excerpt, rows_to_table
from traingate.data.sources import SourceFile
from traingate.data.tokenizers import is_ascii
from traingate.results.model import Fault

if TYPE_CHECKING:
    from traingate.data.chunk import Buffer

COUNT_STEP = 1 << 20  # bytes compared at a time when counting newlines: stays in the L2 cache (best measured)
NEWLINE, OPEN_BRACE, CLOSE_BRACE = 10, ord("{"), ord("}")
JSON_SPACE = b" \t\r"  # whitespace JSON allows within a line


def parse_block(block: Buffer, first_line: int, columns: set[str] | None, source: SourceFile,
                expected: dict[str, str] | None = None) -> Chunk:
    """One block of whole JSON lines: pyarrow's parser when the block is clean, else line by line."""
    table = _jsonl_fast(block) if len(as_view(block)) <= max_line_bytes() else None
    if table is None:
        return _jsonl_slow(bytes(block), first_line, columns, source, expected)
    return Chunk(project(table, columns), -1, np.arange(first_line, first_line + table.num_rows, dtype=np.int64),
                 "line", schema=table.schema)


def count_newlines(block: Buffer) -> int:
    """The newlines in a block, counted in pieces that stay in the processor's cache (4x bytes.count)."""
    data = np.frombuffer(block, dtype=np.uint8)
    return sum(int(np.count_nonzero(data[at: at + COUNT_STEP] == NEWLINE)) for at in range(0, len(data), COUNT_STEP))


def _jsonl_fast(block: Buffer) -> pa.Table | None:
    """pyarrow's parser for a clean block; None sends the block to the tolerant path. pyarrow counts a
    block's records, not its lines, skips blank lines and accepts invalid UTF-8, so a block whose lines are not
    each one object (`one_object_per_line`), a row count that differs from the line count, or bytes that do
    not decode, go there (it keeps true line numbers and calls a line that is not one object a fault). It
    also crashes the process (SIGSEGV, pyarrow 26) on a block whose first record is `null` (no line of a block
    parsed here begins with one) and builds an invalid array from a list of two or more nulls (`[null, null]`):
    such blocks go there too. The block is parsed as one piece (one chunk per column, so no batch copies chunks
    together later); every column is kept."""
    view = as_view(block)
    array = np.frombuffer(view, dtype=np.uint8)
    ends = np.flatnonzero(array == NEWLINE)
    if not one_object_per_line(array, ends):
        return None
    try:
        if not is_ascii(view):  # ASCII is valid UTF-8: decoding it would only confirm that
            str(view, "utf-8")
        opts = pjson.ReadOptions(block_size=max(1 << 20, len(view) + 1))
        table = pjson.read_json(pa.BufferReader(pa.py_buffer(view)), read_options=opts)
        table.validate()  # offsets and lengths only: O(columns)
    except (UnicodeDecodeError, pa.ArrowInvalid):
        return None
    if table.num_rows != len(line_bounds(array, ends)[0]) or _maybe_null_line(table):
        return None
    return table


def one_object_per_line(view: np.ndarray, ends: np.ndarray) -> bool:
    """Whether every line of a block (`ends`: where its newlines are) begins with `{` and ends with `}`, JSON's
    whitespace around them aside. Two records on a line beside a blank line, or a record over two lines beside
    two on one, keep a block's count of records equal to its count of lines, and each row would take another
    line's number. A `}`, a newline and a `{` (with only whitespace between) lie only between two records (no
    JSON string holds a raw newline, and no other JSON puts them side by side), so when every line so begins
    and ends, each holds at least one record: as many records as lines is then one each. The lines whose first
    and last bytes are not the braces (padded ones) are looked at one by one."""
    if not len(view):
        return False
    starts, stops = line_bounds(view, ends)
    last = np.maximum(stops - 1, starts)
    plain = (view[starts] == OPEN_BRACE) & (view[last] == CLOSE_BRACE)
    for line in np.flatnonzero(~plain).tolist():
        text = view[starts[line]: stops[line]].tobytes().strip(JSON_SPACE)
        if text[:1] != b"{" or text[-1:] != b"}":
            return False
    return True


def line_bounds(view: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each line of a block (`ends`: where its newlines are) starts and stops (its newline excluded); a
    last line without a newline counts, nothing after a final newline does."""
    stops = ends if not len(view) or view[-1] == NEWLINE else np.append(ends, len(view))
    return np.concatenate(([0], ends + 1))[: len(stops)], stops


def _maybe_null_line(table: pa.Table) -> bool:
    """Whether a row is null in every column, as a `null` line (or `{}`) reads; O(columns) while any
    column has no null, as in almost every block."""
    if table.num_rows == 0 or any(column.null_count == 0 for column in table.columns):
        return False
    if table.num_columns == 0:
        return True
    every = pc.is_null(table.column(0))
    for column in table.columns[1:]:
        every = pc.and_(every, pc.is_null(column))
    return bool(pc.any(every).as_py())


def loads(text: str) -> Any:
    """orjson, or the standard library for what pyarrow's parser also reads (NaN, Infinity), so a line is
    read the same whether its block went the fast or the tolerant way."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if "NaN" not in text and "Infinity" not in text:
            raise ValueError(str(exc)) from exc
        value = json.loads(text, parse_int=_int_as_orjson)
        try:
            orjson.dumps(value)  # what else orjson refused: a lone surrogate
        except orjson.JSONEncodeError:
            raise ValueError(str(exc)) from exc
        return value


def _int_as_orjson(text: str) -> int | float:
    """An integer as orjson reads it: a float past the 64-bit range."""
    value = int(text)
    return value if -(1 << 63) <= value < (1 << 64) else float(value)


def _jsonl_slow(block: bytes, first_line: int, columns: set[str] | None, source: SourceFile,
                expected: dict[str, str] | None = None) -> Chunk:
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    faults: list[Fault] = []
    limit = max_line_bytes()
    for offset, raw_line in enumerate(block.split(b"\n")):
        line_no = first_line + offset
        if len(raw_line) > limit:
            faults.append(too_long(source, line_no, limit))
            continue
        if not raw_line.strip():
            continue
        try:
            text = raw_line.decode("utf-8")
        except UnicodeDecodeError as exc:
            faults.append(Fault(file=source.path, line=line_no, kind="invalid_utf8",
                                message=f"byte {exc.start} is not valid UTF-8",
                                excerpt=excerpt(raw_line.decode("utf-8", "replace"))))
            continue
        try:
            value = loads(text)
        except ValueError as exc:
            faults.append(Fault(file=source.path, line=line_no, kind="invalid_json", message=str(exc),
                                excerpt=excerpt(text)))
            continue
        if not isinstance(value, dict):
            faults.append(Fault(file=source.path, line=line_no, kind="not_an_object",
                                message=f"a record must be a JSON object, got {type(value).__name__}",
                                excerpt=excerpt(text)))
            continue
        rows.append(value)
        lines.append(line_no)
    mismatched: list[tuple[str, str, int]] | None = None if expected is None else []
    table = rows_to_table(rows, lines, columns, source.path, "line", faults, expected, mismatched)
    return Chunk(table, -1, np.asarray(lines, dtype=np.int64), "line", faults, mismatched=mismatched or [])
