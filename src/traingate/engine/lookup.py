"""A second look at the data: read back the few rows a check wants to show (by file and line)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from traingate.engine.readers import open_raw, read_source
from traingate.engine.sources import SourceFile

LINE_BITS = 40


def split_row_id(row_id: int) -> tuple[int, int]:
    return row_id >> LINE_BITS, row_id & ((1 << LINE_BITS) - 1)


def fetch_rows(files: list[SourceFile], columns: set[str] | None, wanted: set[int]) -> dict[int, dict[str, Any]]:
    """Records of the wanted row ids; each file is read only up to its last wanted line."""
    by_file: dict[int, set[int]] = defaultdict(set)
    for row_id in wanted:
        file_index, line = split_row_id(row_id)
        by_file[file_index].add(line)
    found: dict[int, dict[str, Any]] = {}
    for file_index, lines in sorted(by_file.items()):
        remaining = set(lines)
        targets = np.sort(np.fromiter(lines, dtype=np.int64))

        def holds_target(first: int, last: int, targets: np.ndarray = targets) -> bool | None:
            position = int(np.searchsorted(targets, first))
            if position == len(targets):
                return None  # past the last wanted line: stop reading
            return int(targets[position]) <= last

        with open_raw(files[file_index]) as raw:
            for chunk in read_source(files[file_index], columns, raw, holds_target):
                for pos in np.flatnonzero(np.isin(chunk.lines, targets)):
                    line = int(chunk.lines[pos])
                    found[(file_index << LINE_BITS) | line] = chunk.table.slice(int(pos), 1).to_pylist()[0]
                    remaining.discard(line)
                if not remaining:
                    break
    return found


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
