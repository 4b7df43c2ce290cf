"""Row tables of a check that groups equal keys (exact duplicates, schema `unique`), split by key when
they are written to disk.

Under the run's memory limit (`--max-memory`) the rows held in memory are written out in PARTS files, one
per range of the key's top bits (data/spill.py), so that at the end the check reads and groups one
part at a time: equal keys always share a part, the counts are exact, and the grouping needs memory for
about a PARTS-th of the rows. Until the first spill the rows stay in memory and are grouped at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from traingate.data.spill import Rows

PARTS = 16
_SHIFT = 60  # the top 4 bits of the key choose its part (an int: importing reads nothing of numpy)


@dataclass
class Partitioned:
    by: int = 0  # the column holding the key
    memory: list[np.ndarray] = field(default_factory=list)  # (n, width) uint64 tables
    parts: list[Rows] = field(default_factory=list)  # PARTS Rows of files once something was spilled

    def __len__(self) -> int:
        return sum(len(t) for t in self.memory) + sum(len(p) for p in self.parts)

    def add(self, table: np.ndarray) -> None:
        if len(table):
            self.memory.append(table.astype(np.uint64, copy=False))

    def merge(self, other: Partitioned) -> Partitioned:
        left = self.parts or [Rows() for _ in other.parts]
        right = other.parts or [Rows() for _ in self.parts]
        return Partitioned(self.by, self.memory + other.memory, [a.merge(b) for a, b in zip(left, right)])

    def spill(self) -> int:
        """Write the rows held in memory to one file per part and let them go; how many were written."""
        if not self.memory:
            return 0
        table = np.concatenate(self.memory)
        part = table[:, self.by] >> np.uint64(_SHIFT)
        self.parts = self.parts or [Rows() for _ in range(PARTS)]
        for p, rows in enumerate(self.parts):
            rows.add(table[part == p])
            rows.spill()
        self.memory = []
        return len(table)

    def load(self) -> None:
        """Every part back in memory, its files removed: the state leaves a node of a Ray cluster."""
        self.memory += [table for rows in self.parts if len(table := rows.table())]
        self.parts = []

    def tables(self, width: int) -> Iterator[np.ndarray]:
        """All rows at once when nothing was spilled, else part by part (files are read, not removed:
        the run's spill directory goes when the run ends)."""
        held = np.concatenate(self.memory) if self.memory else np.zeros((0, width), np.uint64)
        if not self.parts:
            yield held
            return
        part = held[:, self.by] >> np.uint64(_SHIFT)
        for p, rows in enumerate(self.parts):
            yield np.concatenate([held[part == p], *(np.load(s.path).T for s in rows.disk)])
