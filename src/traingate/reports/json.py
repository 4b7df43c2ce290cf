"""The run result as JSON (the format `traingate report` and `diff` read back)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from traingate.reports.files import atomic_writer, write_text
from traingate.reports.sanitize import encodable
from traingate.results.model import RunResult


def render_json(result: RunResult) -> str:
    """The run as JSON; a lone surrogate from the data (a "\\ud800" escape in a JSON row, a file name that
    is not UTF-8) is kept as the text \\ud800 rather than failing the write."""
    try:
        return result.model_dump_json(indent=2)
    except ValueError:
        return json.dumps(encodable(result.model_dump(mode="json")), indent=2, ensure_ascii=False)


def write_json(result: RunResult, path: str | Path) -> None:
    write_text(path, render_json(result))


def read_json(path: str | Path) -> RunResult:
    return RunResult.model_validate_json(Path(path).read_text(encoding="utf-8"))


def write_evidence(records: Iterable[dict[str, Any]], path: str | Path) -> None:
    """One JSON line per finding, as the run streams them (engine/evidence.py): the check, where (file, line,
    unit, field), why (reason) and the numbers that measure it; never a value of the data. Written to a
    temporary file renamed into place, so a failed write leaves no partial file."""
    with atomic_writer(path) as out:
        for record in records:
            try:
                out.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE).decode())
            except TypeError:  # a lone surrogate in a file name: written as the text \ud800
                out.write(json.dumps(encodable(record), ensure_ascii=False) + "\n")


REJECT_CHECK = ("check", "severity", "reason", "field", "cluster", "kept")  # an entry of a rejected row's checks
PARQUET_BATCH = 8192


def write_rejects(records: Iterable[dict[str, Any]], path: str | Path) -> None:
    """The rejected rows (engine/reject_rows.py), one record per row: JSON lines, or Parquet when `path` ends in
    .parquet (`checks` a list of structs; a row's values, with --rejects-with-data, as a JSON text in `data`)."""
    if str(path).endswith(".parquet"):
        _write_parquet(records, path, _rejects_schema, _rejects_row)
    else:
        _write_lines(records, path)


def write_clusters(records: Iterable[dict[str, Any]], path: str | Path) -> None:
    """Every row of every duplicate cluster (engine/rejects.py, clusters): JSON lines, or Parquet by extension."""
    if str(path).endswith(".parquet"):
        _write_parquet(records, path, _clusters_schema, lambda record: record)
    else:
        _write_lines(records, path)


def _rejects_schema(data: bool) -> Any:
    import pyarrow as pa

    entry = pa.struct([(name, pa.int64() if name == "cluster" else pa.bool_() if name == "kept" else pa.string())
                       for name in REJECT_CHECK])
    fields = [("file", pa.string()), ("line", pa.int64()), ("unit", pa.string()), ("fault", pa.string()),
              ("checks", pa.list_(entry))]
    return pa.schema(fields + ([("data", pa.string())] if data else []))


def _clusters_schema(data: bool) -> Any:
    import pyarrow as pa

    return pa.schema([("check", pa.string()), ("cluster", pa.int64()), ("file", pa.string()), ("line", pa.int64()),
                      ("unit", pa.string()), ("kept", pa.bool_()), ("survives", pa.bool_()),
                      ("similarity", pa.float64())])


def _rejects_row(record: dict[str, Any]) -> dict[str, Any]:
    row = {**record, "checks": [{name: entry.get(name) for name in REJECT_CHECK} for entry in record["checks"]]}
    if "data" in record:
        row["data"] = None if record["data"] is None else _json_text(record["data"])
    return row


def _write_lines(records: Iterable[dict[str, Any]], path: str | Path) -> None:
    """One JSON line per record, through a temporary file renamed into place; a value JSON has no type for
    (bytes, a date) is written as its text."""
    with atomic_writer(path) as out:
        for record in records:
            out.write(_json_text(record) + "\n")


def _json_text(value: Any) -> str:
    try:
        return orjson.dumps(value, default=str).decode()
    except TypeError:  # a lone surrogate: written as the text \ud800
        return json.dumps(encodable(value), ensure_ascii=False, default=str)


def _write_parquet(records: Iterable[dict[str, Any]], path: str | Path, schema_of: Any, row_of: Any) -> None:
    """Records to a Parquet file a batch at a time, through a temporary file renamed into place."""
    import os
    import secrets

    import pyarrow as pa
    import pyarrow.parquet as pq

    from traingate.errors import OutputError

    target = Path(path)
    if target.is_dir():
        raise OutputError(f"cannot write {target}: it is a directory")
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    stream = iter(records)
    first = next(stream, None)
    schema = schema_of(first is not None and "data" in first)
    try:
        with pq.ParquetWriter(temporary, schema) as writer:
            batch = [] if first is None else [row_of(first)]
            for record in stream:
                batch.append(row_of(record))
                if len(batch) >= PARQUET_BATCH:
                    writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                    batch = []
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
        os.replace(temporary, target)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        temporary.unlink(missing_ok=True)
