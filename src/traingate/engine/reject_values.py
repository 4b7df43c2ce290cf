"""The values of rejected rows (`validate --rejects-with-data`): the data is read again, file by file in data
order, beside the stream of rejected rows (engine/reject_rows.py), and each row's record gets its values as read
(`data`: every column; none for a record that could not be read). Nothing is gathered whole: a block of JSON
lines holding no rejected row is not parsed, and records leave a batch at a time.

With a check that guards against what text may hold (pii, secrets: MasksExcerpts), every string of the values
(and every key of a nested object) goes through its masker, as every other output of the run does."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import groupby
from typing import Any

import numpy as np

from traingate.data.readers import open_raw, read_source
from traingate.data.sources import SourceFile

Masker = Callable[[list[str]], list[str | None]]  # each text masked, or None when it holds nothing
Located = tuple[int, int, dict[str, Any]]  # (file index, line, record)
BATCH = 512  # records masked together


def with_values(rows: Iterator[Located], sources: Sequence[SourceFile], maskers: Sequence[Masker] = ()
                ) -> Iterator[dict[str, Any]]:
    """Each record with `data`, its row's values as read and masked, in the order they came."""
    batch: list[dict[str, Any]] = []
    for index, group in groupby(rows, key=lambda item: item[0]):
        for record in _read_file(sources[index], group):
            batch.append(record)
            if len(batch) >= BATCH:
                yield from _masked(batch, maskers)
                batch = []
    yield from _masked(batch, maskers)


def _read_file(source: SourceFile, rows: Iterator[Located]) -> Iterator[dict[str, Any]]:
    """The file's rejected rows (in line order) with their values, reading the file up to its last one."""
    pending = iter(rows)
    current = next(pending, None)

    def wanted(first: int, last: int) -> bool | None:
        return None if current is None else current[1] <= last  # a block before the next rejected row: skipped

    with open_raw(source) as raw:
        for chunk in read_source(source, None, raw, wanted):
            if current is None:
                break
            lines = np.asarray(chunk.lines)
            found: list[tuple[dict[str, Any], int | None]] = []
            while current is not None and len(lines) and current[1] <= int(lines[-1]):
                at = int(np.searchsorted(lines, current[1]))
                hit = at < len(lines) and int(lines[at]) == current[1]
                found.append((current[2], at if hit else None))  # not among the rows read: it could not be read
                current = next(pending, None)
            positions = [place for _, place in found if place is not None]
            taken = iter(chunk.table.take(positions).to_pylist() if positions else [])
            for record, place in found:
                yield {**record, "data": next(taken) if place is not None else None}
    while current is not None:  # past the last row read (an unreadable last line)
        yield {**current[2], "data": None}
        current = next(pending, None)


def _masked(records: list[dict[str, Any]], maskers: Sequence[Masker]) -> list[dict[str, Any]]:
    """The records with every string of their values (and every key of a nested object) masked."""
    if not maskers or not records:
        return records
    texts: dict[str, None] = {}
    for record in records:
        _strings(record["data"], texts, top=True)
    masked = {text: text for text in texts}
    for masker in maskers:
        order = list(masked)
        for text, new in zip(order, masker([masked[t] for t in order])):
            if new is not None:
                masked[text] = new
    for record in records:
        record["data"] = _replaced(record["data"], masked, top=True)
    return records


def _strings(value: Any, into: dict[str, None], top: bool = False) -> None:
    if isinstance(value, str):
        into[value] = None
    elif isinstance(value, dict):
        for key, item in value.items():
            if not top and isinstance(key, str):  # a column's name is the data's schema; a nested key may be data
                into[key] = None
            _strings(item, into)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _strings(item, into)


def _replaced(value: Any, masked: dict[str, str], top: bool = False) -> Any:
    if isinstance(value, str):
        return masked.get(value, value)
    if isinstance(value, dict):
        return {(key if top or not isinstance(key, str) else masked.get(key, key)): _replaced(item, masked)
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_replaced(item, masked) for item in value]
    return value
