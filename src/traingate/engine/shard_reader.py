"""Reading one shard (shards.py): a whole file through its reader, a Parquet file's row groups, or a JSONL
byte range, read up to its end only, each row with the file and line it has in a single-process run; with the
run's column types, each column's values are judged against the type decided earlier."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from traingate.data.chunk import Chunk
from traingate.data.jsonl_reader import read_jsonl
from traingate.data.readers import parquet_file, read_source
from traingate.data.sources import SourceFile
from traingate.engine.column_types import ColumnTypes
from traingate.engine.shards import Shard


class _Range:
    """A file read from `start` up to `end` only."""

    def __init__(self, raw: Any, start: int, end: int):
        raw.seek(start)
        self.raw, self.left = raw, end - start

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data: bytes = self.raw.read(n) if n else b""
        self.left -= len(data)
        return data

    def readinto(self, buffer: memoryview) -> int:
        """Read into `buffer` (up to the range's end), without the copy a read and a join would make."""
        view = memoryview(buffer)[: self.left]
        readinto = getattr(self.raw, "readinto", None)
        if readinto is None:
            data = self.read(len(view))
            view[: len(data)] = data
            return len(data)
        got: int = readinto(view) or 0 if len(view) else 0
        self.left -= got
        return got


def read_shard(source: SourceFile, shard: Shard, columns: set[str] | None, raw: Any,
               types: ColumnTypes | None = None) -> Iterator[Chunk]:
    """The chunks of one shard; `raw` is the file opened by the caller (who reports progress on it).
    With `types`, each column's values are judged against the type decided earlier in the run."""
    if types is None:
        yield from _read_shard(source, shard, columns, raw, None)
        return
    for chunk in _read_shard(source, shard, columns, raw, types.expected()):
        chunk.table = types.judge(chunk.table, chunk.lines, shard.file_index, chunk.mismatched)
        yield chunk


def _read_shard(source: SourceFile, shard: Shard, columns: set[str] | None, raw: Any,
                expected: dict[str, str] | None) -> Iterator[Chunk]:
    if shard.end is None and shard.start == 0:
        yield from read_source(source, columns, raw, expected=expected)
        return
    if source.format == "parquet":
        pf = parquet_file(raw if "://" in source.path else source.path)
        names = [c for c in pf.schema_arrow.names if columns is None or c in columns]
        row = shard.first_line
        for batch in pf.iter_batches(row_groups=range(shard.start, shard.end or pf.num_row_groups), columns=names):
            yield Chunk(pa.Table.from_batches([batch]), -1, np.arange(row, row + batch.num_rows), "row")
            row += batch.num_rows
        return
    yield from read_jsonl(_Range(raw, shard.start, shard.end or source.size), source, columns,
                          first_line=shard.first_line, offset=shard.start, expected=expected)
