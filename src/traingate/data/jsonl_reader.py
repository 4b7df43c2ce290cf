"""JSON lines read in blocks of 8 MiB cut at line ends, each parsed alone (data/jsonl_block.py); a line longer
than the limit is one `line_too_long` record, skipped without being held."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from traingate.data.chunk import Chunk, LineFilter, Span, as_view, fault_chunk, max_line_bytes, too_long
from traingate.data.jsonl_block import NEWLINE, count_newlines, parse_block
from traingate.data.sources import SourceFile

if TYPE_CHECKING:
    from traingate.data.chunk import Buffer

BLOCK_BYTES = 8 << 20
LEAD_BYTES = 1 << 20  # a line begun in one read and shorter than this is copied in front of the next read
_BLANK_BLOCK = re.compile(rb"[ \t-\r]*")  # what bytes.isspace() accepts: space, \t \n \v \f \r


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
    schemas: dict[bytes, bytes] = {}  # each block's schema, held once however many blocks share it
    while True:
        lead = pieces if pending <= LEAD_BYTES else []
        buffer, start = _fill(stream, lead, carry)
        carry, got = b"", len(buffer) - start
        if got:
            cut = _last_newline(buffer, start)
            if cut < 0:
                pieces, pending = ([buffer] if lead else [*pieces, buffer[start:]]), pending + got
                if pending > limit:
                    yield fault_chunk([too_long(source, line_no, limit)])
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
            chunk = parse_block(block, line_no, columns, source, expected)
            chunk.span = Span(line_no, position, position + len(block), _schema(chunk, schemas)) if seekable else None
            yield chunk
        line_no, position = line_no + newlines, position + len(block)
        if not got:
            return


def _schema(chunk: Chunk, schemas: dict[bytes, bytes]) -> bytes | None:
    """The block's schema in Arrow's form (None: not parsed whole), one object for the blocks that share it: a
    file's spans, kept to the run's end and in the cache, then hold each schema once (5 KB for a conversation
    tree's nested records, over each 8 MiB block of a large file)."""
    if chunk.schema is None:
        return None
    serialized = chunk.schema.serialize().to_pybytes()
    return schemas.setdefault(serialized, serialized)


def _joined(pieces: list[Buffer]) -> np.ndarray:
    return np.concatenate([np.frombuffer(p, dtype=np.uint8) for p in pieces]) if pieces else np.zeros(0, np.uint8)


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
