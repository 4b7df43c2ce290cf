"""The kept rows of Parquet and Arrow files, with the same schema: read a row group (or record batch) at a
time, rows numbered from 1 through the file as the readers number them (`unit: row`), written as Parquet or
Arrow IPC (file or stream, as the input was), or as JSON lines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from traingate.data.readers import open_raw, parquet_file
from traingate.data.sources import SourceFile
from traingate.data.writers.output import row_line, temporary_path
from traingate.data.writers.records import member


def _parquet_batches(source: SourceFile) -> Iterator[tuple[pa.Schema, pa.Table | pa.RecordBatch, str | None]]:
    with open_raw(source) as raw:
        pf = parquet_file(raw)
        codec = pf.metadata.row_group(0).column(0).compression.lower() if pf.metadata.num_row_groups else None
        for i in range(pf.num_row_groups):
            yield pf.schema_arrow, pf.read_row_group(i), codec


def _arrow_batches(source: SourceFile) -> Iterator[tuple[pa.Schema, pa.RecordBatch, str]]:
    """Record batches of an Arrow IPC file or stream, and which of the two it is."""
    with open_raw(source) as raw:
        data = pa.py_buffer(raw.read())
    try:
        reader: Any = ipc.open_file(data)
        for i in range(reader.num_record_batches):
            yield reader.schema, reader.get_batch(i), "file"
    except pa.ArrowInvalid:
        stream = ipc.open_stream(data)
        for batch in stream:
            yield stream.schema, batch, "stream"


def _kept(batches: Iterator[tuple[pa.Schema, Any, Any]], rejected: np.ndarray) -> Iterator[tuple[pa.Schema, Any, Any]]:
    """Each batch without its rejected rows."""
    row = 0
    for schema, batch, how in batches:
        numbers = np.arange(row + 1, row + 1 + batch.num_rows, dtype=np.int64)
        row += batch.num_rows
        yield schema, batch.filter(pa.array(~member(numbers, rejected))), how


def _batches(source: SourceFile) -> Iterator[tuple[pa.Schema, Any, Any]]:
    return _parquet_batches(source) if source.format == "parquet" else _arrow_batches(source)


def write_table_file(source: SourceFile, rejected: np.ndarray, path: str, as_format: str) -> int:
    """The kept rows as `as_format` (parquet, or arrow: the input's IPC flavour) at `path`; rows kept."""
    import pyarrow.parquet as pq

    kept = 0
    writer: Any = None
    with temporary_path(path) as temporary:
        try:
            for schema, batch, how in _kept(_batches(source), rejected):
                if writer is None:
                    codec = _codec(how) if source.format == "parquet" else "snappy"
                    writer = pq.ParquetWriter(temporary, schema, compression=codec) if as_format == "parquet" else \
                        (ipc.new_file if how == "file" else ipc.new_stream)(temporary, schema)
                writer.write_table(batch) if isinstance(batch, pa.Table) else writer.write_batch(batch)
                kept += batch.num_rows
            if writer is None:  # no row group, no batch: the schema alone
                writer = _empty(source, temporary, as_format)
        finally:
            if writer is not None:
                writer.close()
    return kept


def _codec(name: str | None) -> str:
    """The input's Parquet compression as ParquetWriter names it (snappy when unknown)."""
    known = {"snappy", "gzip", "brotli", "zstd", "lz4", "lz4_raw"}
    return "none" if name == "uncompressed" else name if name in known else "snappy"


def _empty(source: SourceFile, path: str, as_format: str) -> Any:
    import pyarrow.parquet as pq

    if source.format == "parquet":
        with open_raw(source) as raw:
            schema = parquet_file(raw).schema_arrow
    else:
        with open_raw(source) as raw:
            data = pa.py_buffer(raw.read())
        try:
            schema = ipc.open_file(data).schema
        except pa.ArrowInvalid:
            schema = ipc.open_stream(data).schema
    return pq.ParquetWriter(path, schema) if as_format == "parquet" else ipc.new_file(path, schema)


def table_lines(source: SourceFile, rejected: np.ndarray, out: BinaryIO) -> int:
    """The kept rows as JSON lines; rows kept."""
    kept = 0
    for _, batch, _ in _kept(_batches(source), rejected):
        for row in batch.to_pylist():
            out.write(row_line(row))
        kept += batch.num_rows
    return kept
