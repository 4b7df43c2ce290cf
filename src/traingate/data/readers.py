"""One reader per format: a file -> chunks of projected Arrow rows plus the faults met on the way."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.json as pjson

from traingate.data.rows import excerpt, rows_to_table
from traingate.data.sources import SourceFile
from traingate.data.tokenizers import is_ascii
from traingate.errors import SourceError
from traingate.results.model import Fault

BLOCK_BYTES = 8 << 20
ROWS_PER_CHUNK = 8192
DEFAULT_MAX_LINE_BYTES = 64 << 20
LEAD_BYTES = 1 << 20  # a line begun in one read and shorter than this is copied in front of the next read
COUNT_STEP = 1 << 20  # bytes compared at a time when counting newlines: stays in the L2 cache (best measured)
NEWLINE, CARRIAGE_RETURN, OPEN_BRACE, CLOSE_BRACE = 10, 13, ord("{"), ord("}")
_BLANK_BLOCK = re.compile(rb"[ \t-\r]*")  # what bytes.isspace() accepts: space, \t \n \v \f \r

if TYPE_CHECKING:  # annotations only: importing this module reads nothing of numpy (cli/deferred.py)
    Buffer = bytes | bytearray | memoryview | np.ndarray  # bytes of whole JSON lines (np.uint8 when an array)


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


Progress = Callable[[int], None]


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
        from traingate.data.remote import block_bytes
        return pa.input_stream(raw, compression=source.compression, buffer_size=block_bytes())
    return pa.CompressedInputStream(raw, source.compression)


def project(table: pa.Table, columns: set[str] | None) -> pa.Table:
    return table if columns is None else table.select([c for c in table.column_names if c in columns])


def _jsonl_fast(block: Buffer, newlines: int) -> pa.Table | None:
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
    if not one_object_per_line(array, np.flatnonzero(array == NEWLINE)):
        return None
    try:
        if not is_ascii(view):  # ASCII is valid UTF-8: decoding it would only confirm that
            str(view, "utf-8")
        opts = pjson.ReadOptions(block_size=max(1 << 20, len(view) + 1))
        table = pjson.read_json(pa.BufferReader(pa.py_buffer(view)), read_options=opts)
        table.validate()  # offsets and lengths only: O(columns)
    except (UnicodeDecodeError, pa.ArrowInvalid):
        return None
    expected = newlines + (0 if view[-1:].tobytes() == b"\n" else 1)
    if table.num_rows != expected or _maybe_null_line(table):
        return None
    return table


def one_object_per_line(view: np.ndarray, ends: np.ndarray) -> bool:
    """Whether every line of a block (`ends`: where its newlines are) begins with `{` and ends with `}` (a
    carriage return before the newline aside). Two records on a line beside a blank line, or a record over two
    lines beside two on one, keep a block's count of records equal to its count of lines, and each row would
    take another line's number. A `}`, a newline and a `{` lie only between two records (no JSON string holds a
    raw newline, and no other JSON puts them side by side), so when every line so begins and ends, each holds
    at least one record: as many records as lines is then one each."""
    if not len(view):
        return False
    stops = ends if view[-1] == NEWLINE else np.append(ends, len(view))
    starts = np.concatenate(([0], ends + 1))[: len(stops)]
    last = stops - 1
    last -= (view[last] == CARRIAGE_RETURN) & (last > starts)
    return bool(np.all(view[starts] == OPEN_BRACE) and np.all(view[last] == CLOSE_BRACE))


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


def _loads(text: str) -> Any:
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
            value = _loads(text)
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


LineFilter = Callable[[int, int], bool | None]  # (first line, last line) of a block -> parse it? None: stop


def max_line_bytes() -> int:
    """The longest line (or CSV record) read, in bytes: TRAINGATE_MAX_LINE_BYTES, default 64 MiB. A longer
    one is one unreadable record (`line_too_long`), so a file without newlines is read in linear time and
    bounded memory."""
    return int(os.environ.get("TRAINGATE_MAX_LINE_BYTES", DEFAULT_MAX_LINE_BYTES))


def too_long(source: SourceFile, line: int, limit: int, unit: str = "line") -> Fault:
    return Fault(file=source.path, line=line, kind="line_too_long",
                 message=f"{unit} {line} is longer than {limit:,} bytes (TRAINGATE_MAX_LINE_BYTES); it is not read")


def _fault_chunk(faults: list[Fault]) -> Chunk:
    return Chunk(pa.table({}), -1, np.zeros(0, dtype=np.int64), "line", faults)


def _skip_line(stream: Any) -> tuple[int, bytes | None]:
    """Read past the end of an overlong line: the bytes skipped and what follows its newline (None at the end)."""
    skipped = 0
    while data := stream.read(BLOCK_BYTES):
        cut = data.find(b"\n")
        if cut >= 0:
            return skipped + cut + 1, data[cut + 1:]
        skipped += len(data)
    return skipped, None


def _fill(stream: Any, lead: list[Buffer], carry: bytes) -> tuple[np.ndarray, int]:
    """A new buffer holding the pieces of `lead` (the start of a line begun in earlier reads) and then the next
    read (or `carry`, what an earlier read left), read into it where the stream can (one copy, no joins); and
    where the bytes read begin in it."""
    start = sum(len(piece) for piece in lead)
    buffer = np.empty(start + (len(carry) or BLOCK_BYTES), dtype=np.uint8)
    at = 0
    for piece in lead:
        buffer[at: at + len(piece)] = np.frombuffer(piece, dtype=np.uint8)
        at += len(piece)
    if carry:
        buffer[start:] = np.frombuffer(carry, dtype=np.uint8)
        return buffer, start
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        got = readinto(buffer[start:].data) or 0
    else:
        data = stream.read(BLOCK_BYTES)
        got = len(data)
        buffer[start: start + got] = np.frombuffer(data, dtype=np.uint8)
    if got < BLOCK_BYTES // 2:  # a short read (a decompressor, a network): keep only what it gave
        return buffer[: start + got].copy(), start
    return buffer[: start + got], start


def _last_newline(buffer: np.ndarray, start: int) -> int:
    """Where the last newline at or after `start` is in `buffer`, or -1: the tail is searched first."""
    end = len(buffer)
    for window in (1 << 16, end - start):
        low = max(start, end - window)
        found = np.flatnonzero(buffer[low:end] == NEWLINE)
        if len(found):
            return low + int(found[-1])
        if low == start:
            break
    return -1


def count_newlines(block: Buffer) -> int:
    """The newlines in a block, counted in pieces that stay in the processor's cache (4x bytes.count)."""
    data = np.frombuffer(block, dtype=np.uint8)
    return sum(int(np.count_nonzero(data[at: at + COUNT_STEP] == NEWLINE)) for at in range(0, len(data), COUNT_STEP))


def read_jsonl(stream: Any, source: SourceFile, columns: set[str] | None, first: bytes = b"",
               first_line: int = 1, wanted: LineFilter | None = None, offset: int = 0,
               expected: dict[str, str] | None = None) -> Iterator[Chunk]:
    """Chunks of 8 MiB blocks cut at line ends; with `wanted`, blocks it declines are counted, not parsed.
    `offset`: where in the file `first` (or the stream) begins; blocks of an uncompressed local file carry
    their span, so a second look reads only the blocks that hold the rows it wants (`parse_block`).
    Each byte is searched for a newline once (linear), and a line longer than `max_line_bytes()` is one
    `line_too_long` record, skipped without being held. A line begun in one read is copied in front of the
    next read while short; a long one is kept in pieces, joined once when its newline comes."""
    seekable = source.compression is None  # a remote object too: a second look reads its blocks by range
    limit = max_line_bytes()
    pieces: list[Buffer] = [first] if first else []
    pending, line_no, position = len(first), first_line, offset
    carry = b""  # what followed an overlong line's newline in the read that found it
    while True:
        lead = pieces if pending <= LEAD_BYTES else []
        buffer, start = _fill(stream, lead, carry)
        carry, got = b"", len(buffer) - start
        if got:
            cut = _last_newline(buffer, start)
            if cut < 0:
                pieces, pending = ([buffer] if lead else [*pieces, buffer[start:]]), pending + got
                if pending > limit:
                    yield _fault_chunk([too_long(source, line_no, limit)])
                    skipped, rest = _skip_line(stream)
                    pieces, position, line_no, pending = [], position + pending + skipped, line_no + 1, 0
                    if rest is None:
                        return
                    carry = rest
                continue
            block = as_view(buffer[: cut + 1] if lead or not pieces else _joined([*pieces, buffer[start: cut + 1]]))
            pieces, pending = [buffer[cut + 1:]], len(buffer) - cut - 1
        else:
            block, pieces = as_view(_joined(pieces)), []
        newlines = count_newlines(block)
        verdict = True if wanted is None else wanted(line_no, line_no + newlines)
        if verdict is None:
            return
        if verdict and not _BLANK_BLOCK.fullmatch(block):
            chunk = parse_block(block, line_no, columns, source, newlines, expected)
            schema = chunk.schema.serialize().to_pybytes() if chunk.schema is not None else None
            chunk.span = Span(line_no, position, position + len(block), schema) if seekable else None
            yield chunk
        line_no, position = line_no + newlines, position + len(block)
        if not got:
            return


def _joined(pieces: list[Buffer]) -> np.ndarray:
    return np.concatenate([np.frombuffer(p, dtype=np.uint8) for p in pieces]) if pieces else np.zeros(0, np.uint8)


def parse_block(block: Buffer, first_line: int, columns: set[str] | None, source: SourceFile,
                newlines: int | None = None, expected: dict[str, str] | None = None) -> Chunk:
    """One block of whole JSON lines: pyarrow's parser when the block is clean, else line by line."""
    newlines = count_newlines(block) if newlines is None else newlines
    table = _jsonl_fast(block, newlines) if len(as_view(block)) <= max_line_bytes() else None
    if table is None:
        return _jsonl_slow(bytes(block), first_line, columns, source, expected)
    return Chunk(project(table, columns), -1, np.arange(first_line, first_line + table.num_rows, dtype=np.int64),
                 "line", schema=table.schema)


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
        items = _loads(text)  # the values a JSONL line would give (no lone surrogates)
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


def parquet_file(source: Any) -> Any:
    import pyarrow.parquet as pq  # imported when a Parquet file is read: ~50 ms at start-up otherwise

    return pq.ParquetFile(source)
