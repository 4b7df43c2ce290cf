"""The failing rows of a check, every one of them, as evidence (`validate --evidence`): per finding a row id and
a code naming its reason, field and unit of measure (16 bytes), and the numbers the check measured for it (a
token count, a duplicate's cluster, an eval item's share, the train row a test row leaked from: 8 bytes
each), kept as uint64 columns with each name kept once under its xxh64. Findings merge by concatenation, so
any split of the data lists the same ones. Past MEMORY_BOUND findings held in memory, when the run has a spill
folder (data/spill.py: a run that keeps findings has one), and under the run's memory limit (`--max-memory`),
they are written to disk sorted by row, and read back in row order a block at a time (row_order.py): a
check's findings are never held whole.

A finding holds no text of the data: locations, reason names (the contract's and the check's own words) and
numbers only."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import xxhash

from traingate.data.rowids import LINE_BITS
from traingate.data.spill import SPILL_DIR_ENV, Rows
from traingate.validators.common.row_order import in_row_order, sort_rows

Kind = Literal["int", "float", "bool", "row"]  # how a measured column reads back; a row becomes <name>_file/_line
MEMORY_BOUND = 65536  # findings held in memory by one check before they go to the run's spill folder
RECORDS = 1024  # findings turned into records at a time


def _code(reason: str, field: str | None, measure: str | None) -> int:
    return xxhash.xxh64_intdigest(f"{reason}\0{field or ''}\0{measure or ''}".encode())


def _bits(values: Any, kind: Kind, n: int) -> np.ndarray:
    given = np.broadcast_to(np.asarray(values), (n,))
    if kind == "float":
        return given.astype(np.float64).view(np.uint64)
    if kind == "int":
        return given.astype(np.int64).view(np.uint64)
    return given.astype(np.uint64)


@dataclass
class Findings:
    """Findings of one check: `measures` names the numbers each finding carries, and how they read back."""

    measures: tuple[tuple[str, Kind], ...] = ()
    rows: Rows = field(default_factory=Rows)  # row id, code, then one column per measure
    names: dict[int, tuple[str, str | None, str | None]] = field(default_factory=dict)  # code -> reason, field, unit
    files: dict[int, tuple[str, str]] = field(default_factory=dict)  # file index -> (file, unit)

    def __len__(self) -> int:
        return len(self.rows)

    def note_file(self, index: int, file: str, unit: str) -> None:
        self.files.setdefault(index, (file, unit))

    def add(self, row_ids: np.ndarray, reason: str, field: str | None = None, measure: str | None = None,
            **measured: Any) -> None:
        """Rows (row ids) found for `reason` in `field`, with each measure (an array, or one value for all; a
        float left out is NaN, not measured); `measure`: the unit of a `value` (tokens, chars), written beside it."""
        n = len(row_ids)
        if not n:
            return
        code = _code(reason, field, measure)
        self.names.setdefault(code, (reason, field, measure))
        columns = [np.asarray(row_ids, dtype=np.uint64), np.full(n, code, dtype=np.uint64)]
        columns += [_bits(measured.get(name, np.nan) if kind == "float" else measured[name], kind, n)
                    for name, kind in self.measures]  # a float not given is not measured
        self.rows.add(np.column_stack(columns))
        if os.environ.get(SPILL_DIR_ENV) and sum(len(t) for t in self.rows.memory) > MEMORY_BOUND:
            self.spill()

    def merge(self, other: Findings) -> Findings:
        return Findings(self.measures or other.measures, self.rows.merge(other.rows), {**self.names, **other.names},
                        {**self.files, **other.files})

    def spill(self) -> int:
        """Write the findings held in memory to disk, sorted by row; how many were written."""
        self.rows.memory = sort_rows(self.rows.memory)
        return self.rows.spill()

    def load(self) -> None:
        """Read the findings written to disk back into memory (a state leaving a node of a Ray cluster)."""
        self.rows.load()

    def records(self, files: Mapping[int, tuple[str, str]] | None = None) -> Iterator[dict[str, Any]]:
        """Every finding with its file and line, ordered by row, then reason and field by name. `files`
        (file index -> file, unit) stands in for the files the findings noted."""
        if not len(self.rows):
            return
        located = {**self.files, **(files or {})}
        heads = {code: {"reason": reason, **({"field": name} if name else {}), **({"measure": unit} if unit else {})}
                 for code, (reason, name, unit) in self.names.items()}
        for block in in_row_order(self.rows):  # whole rows: each ordered by reason and field here
            ordered = block[np.lexsort((self._ranks(block[:, 1]), block[:, 0]))]
            for start in range(0, len(ordered), RECORDS):  # a few records made at a time, not a block's
                part = ordered[start: start + RECORDS].T
                measured = [_read(values, name, kind, located) for values, (name, kind) in zip(part[2:], self.measures)]
                for k, (where, code) in enumerate(zip(_located(part[0], located), part[1].tolist())):
                    record = {**where, **heads[code]}
                    for pairs in measured:
                        record.update(pairs[k])
                    yield record

    def _ranks(self, codes: np.ndarray) -> np.ndarray:
        """Each code's place among the (reason, field) names in alphabetical order."""
        distinct = np.unique(codes)
        names = [tuple(part or "" for part in self.names[int(c)]) for c in distinct.tolist()]
        ranks = np.empty(len(names), dtype=np.int64)
        ranks[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
        return ranks[np.searchsorted(distinct, codes)]


def _located(row_ids: np.ndarray, files: Mapping[int, tuple[str, str]]) -> list[dict[str, Any]]:
    """file, line and unit of each row id."""
    indices = (row_ids >> np.uint64(LINE_BITS)).tolist()
    lines = (row_ids & np.uint64((1 << LINE_BITS) - 1)).tolist()
    return [{"file": files[i][0], "line": line, "unit": files[i][1]} for i, line in zip(indices, lines)]


def _read(values: np.ndarray, name: str, kind: Kind, files: Mapping[int, tuple[str, str]]) -> list[list[tuple[str, Any]]]:
    """Each finding's entries for one measured column (none for a float not measured: NaN)."""
    if kind == "row":
        return [[(f"{name}_file", where["file"]), (f"{name}_line", where["line"])] for where in _located(values, files)]
    if kind == "float":
        return [[(name, int(v) if v.is_integer() else v)] if v == v else [] for v in values.view(np.float64).tolist()]
    read = values.view(np.int64).tolist() if kind == "int" else (values != 0).tolist()
    return [[(name, v)] for v in read]


def cluster_findings(groups: list[np.ndarray], files: Mapping[int, tuple[str, str]], reason: str,
                     label: str = "cluster", first: bool = True) -> Findings:
    """Every row of every group (duplicates, conflicting labels) with its group's place among them (largest
    first, as the check lists them) and, with `first`, whether it is the group's first row in data order."""
    found = Findings(((label, "int"), ("first", "bool")) if first else ((label, "int"),), files=dict(files))
    if groups:
        ids = np.concatenate(groups).astype(np.uint64)
        sizes = np.array([len(g) for g in groups])
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        found.add(ids, reason, **{label: np.repeat(np.arange(len(groups)), sizes),
                                  "first": ids == np.repeat(np.minimum.reduceat(ids, starts), sizes)})
    return found
