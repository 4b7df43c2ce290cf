"""The findings of a pii check, kept as evidence: seven uint64 columns a finding (row id, field, turn,
entity, start, end, score: 56 bytes), with each field and entity name kept once under its xxh64. Under the
run's memory limit (`--max-memory`) the columns are written to disk like the keys of near duplicates
(data/spill.py) and read back when the check finishes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xxhash

from traingate.data.rowids import split_row_id
from traingate.data.spill import Rows

# row id, field, turn (-1: one value), entity, start, end, score
Record = tuple[int, str, int, str, int, int, float]


def _code(name: str) -> int:
    return xxhash.xxh64_intdigest(name.encode("utf-8"))


@dataclass
class Evidence:
    rows: Rows = field(default_factory=Rows)
    names: dict[int, str] = field(default_factory=dict)  # xxh64 -> field or entity name

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, findings: list[Record]) -> None:
        if not findings:
            return
        for text in {f[1] for f in findings} | {f[3] for f in findings}:
            self.names.setdefault(_code(text), text)
        row, name, turn, entity, start, end, score = zip(*findings)
        self.rows.add(np.column_stack([
            np.array(row, np.uint64), np.array([_code(n) for n in name], np.uint64),
            np.array(turn, np.int64).view(np.uint64), np.array([_code(e) for e in entity], np.uint64),
            np.array(start, np.uint64), np.array(end, np.uint64), np.array(score, np.float64).view(np.uint64)]))

    def merge(self, other: Evidence) -> Evidence:
        return Evidence(self.rows.merge(other.rows), {**self.names, **other.names})

    def records(self, files: dict[int, tuple[str, str]]) -> list[dict[str, Any]]:
        """Every finding with its file and line, ordered by row, field, turn, entity, offsets and score."""
        if not len(self.rows):
            return []
        self.rows.load()
        table = self.rows.table()
        row, name, turn, entity, start, end = (table[:, j] for j in range(6))
        turn, score = turn.view(np.int64), table[:, 6].view(np.float64)
        order = np.lexsort((score, end, start, self._ranks(entity), turn, self._ranks(name), row))
        out = []
        for r, n, t, e, s, f, p in zip(*(column[order].tolist() for column in (row, name, turn, entity, start, end, score))):
            file_index, line = split_row_id(r)
            file, unit = files[file_index]
            out.append({"file": file, "line": line, "unit": unit, "field": self.names[n],
                        **({"turn": t} if t >= 0 else {}), "entity": self.names[e], "start": s, "end": f, "score": p})
        return out

    def _ranks(self, codes: np.ndarray) -> np.ndarray:
        """Each code's place among its names in alphabetical order."""
        distinct = np.unique(codes)
        alphabetical = np.argsort(np.argsort([self.names[int(c)] for c in distinct.tolist()]))
        return alphabetical[np.searchsorted(distinct, codes)] if len(distinct) else codes
