"""Shards: the pieces of the data that workers fold independently. An uncompressed JSONL file, local or
remote, splits into byte ranges cut at line ends (each knowing its first line number), a Parquet file into
row groups; any other file (a compressed one is read whole, as one stream) is one shard. Rows keep the file
and line they have in a single-process run. A remote file is read through `open_raw` (ranged requests).
How a shard is read: shard_reader.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa

from traingate.data.readers import open_raw, parquet_file
from traingate.data.sources import SourceFile

SHARDS_PER_WORKER = 4
MIN_SHARD_BYTES = 16 << 20
CUT_BLOCK_BYTES = 64 << 10  # what finding a line end after a remote cut point fetches per request


@dataclass(frozen=True)
class Shard:
    file_index: int
    start: int = 0  # byte offset (JSONL) or first row group (Parquet)
    end: int | None = None  # exclusive; None: to the end of the file
    first_line: int = 1  # line (JSONL) or row (Parquet) number of the shard's first record

    def size(self, files: list[SourceFile]) -> int:
        """Bytes of a byte range or a whole file; Parquet row groups count as none (rows still show)."""
        if self.end is None and self.start == 0:
            return files[self.file_index].size
        return self.end - self.start if files[self.file_index].format == "jsonl" and self.end is not None else 0

    def describe(self, files: list[SourceFile]) -> str:
        where = files[self.file_index].path
        unit = "row groups" if files[self.file_index].format == "parquet" else "bytes"
        return where if self.end is None and self.start == 0 else f"{where} {unit} {self.start}-{self.end}"


def _splittable(source: SourceFile) -> bool:
    return not source.compression and source.format in ("jsonl", "parquet")


def count_newlines(part: tuple[SourceFile, int, int]) -> int:
    """Newlines in bytes [start, end) of a file (counted by the driver while the workers start)."""
    source, start, end = part
    lines = 0
    with open_raw(source) as raw:
        raw.seek(start)
        remaining = end - start
        while remaining:
            block = raw.read(min(remaining, 8 << 20))
            if not block:
                break
            lines += block.count(b"\n")
            remaining -= len(block)
    return lines


def _jsonl_cuts(source: SourceFile, size: int, pieces: int) -> list[tuple[int, int]]:
    """(start, end) of `pieces` byte ranges cut just after a newline."""
    cuts = [0]
    with open_raw(source, CUT_BLOCK_BYTES) as raw:
        for k in range(1, pieces):
            raw.seek(max(cuts[-1], size * k // pieces))
            tail = raw.readline()
            position = raw.tell() if tail.endswith(b"\n") else size
            if cuts[-1] < position < size:
                cuts.append(position)
    cuts.append(size)
    return list(zip(cuts, cuts[1:]))


def _parquet_groups(source: SourceFile, pieces: int) -> list[Shard]:
    if "://" in source.path:  # the footer only: a ranged read or two
        with open_raw(source) as raw:
            meta = parquet_file(raw).metadata
    else:
        meta = parquet_file(source.path).metadata
    bounds = np.linspace(0, meta.num_row_groups, min(pieces, meta.num_row_groups) + 1).astype(int)
    rows = np.concatenate([[0], np.cumsum([meta.row_group(i).num_rows for i in range(meta.num_row_groups)])])
    return [Shard(-1, int(a), int(b), int(rows[a]) + 1) for a, b in zip(bounds, bounds[1:]) if b > a]


def may_shard(files: list[SourceFile]) -> bool:
    """Whether the data could give more than one shard (without reading it)."""
    return len(files) > 1 or any(_splittable(f) and f.size >= 2 * MIN_SHARD_BYTES for f in files)


def plan_shards(files: list[SourceFile], workers: int) -> list[Shard]:
    """Shards in data order, each with its first line; large splittable files are cut so that every
    worker has several."""
    return list(numbered(files, shard_ranges(files, workers)))


def numbered(files: list[SourceFile], shards: list[Shard]) -> Iterator[Shard]:
    """The shards in order, each with its first line: the newlines of a byte range are counted when the
    next range of its file is due, so the first shards go out before the whole file was counted."""
    before: Shard | None = None
    for shard in shards:
        if shard.first_line == 0:  # a JSON lines range after its file's first: lines before it are counted
            assert before is not None and before.file_index == shard.file_index and before.end == shard.start
            lines = count_newlines((files[shard.file_index], before.start, shard.start))
            shard = replace(shard, first_line=before.first_line + lines)
        yield shard
        before = shard


def shard_ranges(files: list[SourceFile], workers: int) -> list[Shard]:
    """The shards of `plan_shards`, cut but not yet numbered: a JSON lines range after its file's first
    has first line 0 until `numbered` counts the lines before it."""
    total = sum(f.size for f in files) or 1
    wanted = max(1, workers * SHARDS_PER_WORKER)
    shards: list[Shard] = []
    for index, source in enumerate(files):
        pieces = max(1, min(round(wanted * source.size / total), source.size // MIN_SHARD_BYTES))
        if workers == 1 or pieces == 1 or not _splittable(source):
            shards.append(Shard(index))
        elif source.format == "jsonl":
            shards += [Shard(index, s, e, 1 if s == 0 else 0) for s, e in _jsonl_cuts(source, source.size, pieces)]
        else:
            shards += _row_groups(index, source, pieces)
    return shards


def _row_groups(index: int, source: SourceFile, pieces: int) -> list[Shard]:
    """A Parquet file's row groups; a footer that cannot be read leaves the file whole, so reading it
    reports the fault as for any file (named, exit 3), not as an error of cutting the data."""
    try:
        return [Shard(index, s.start, s.end, s.first_line) for s in _parquet_groups(source, pieces)]
    except (pa.ArrowInvalid, OSError):
        return [Shard(index)]
