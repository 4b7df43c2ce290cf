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
