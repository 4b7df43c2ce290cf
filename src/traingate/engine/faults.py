"""Unreadable records: counted per kind and per file, with capped samples in file/line order; and, when the run
was asked for its rejected rows (`keep_every`), every one of them as (row id, kind) uint64 columns like a
check's findings (validators/common/findings.py): past MEMORY_BOUND in memory they go to the run's spill folder,
sorted by row, and are read back in row order a block at a time (`every`)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import numpy as np
import xxhash

from traingate.data.lookup import LINE_BITS
from traingate.data.sources import SourceFile
from traingate.data.spill import SPILL_DIR_ENV, Rows
from traingate.results.model import Fault
from traingate.validators.common.findings import MEMORY_BOUND
from traingate.validators.common.row_order import in_row_order, sort_rows

FAULT_SAMPLE_CAP = 50


def _code(unit: str, kind: str) -> int:
    return xxhash.xxh64_intdigest(f"{unit}\0{kind}".encode())


class FaultLog:
    def __init__(self, keep_every: bool = False) -> None:
        self.total = 0
        self.by_kind: Counter[str] = Counter()
        self.per_file: Counter[int] = Counter()
        self._kept: list[tuple[int, int, Fault]] = []
        self.keep_every = keep_every  # every fault's row and kind, not only the samples
        self.rows = Rows()  # (row id, code) of every fault, when kept
        self.names: dict[int, tuple[str, str]] = {}  # code -> (unit, kind)

    def add(self, faults: list[Fault], file_index: int) -> None:
        for fault in faults:
            self.total += 1
            self.by_kind[fault.kind] += 1
            self.per_file[file_index] += 1
            self._kept.append((file_index, fault.line, fault))
        self._trim()
        self._keep(file_index, [(f.line, f.unit, f.kind) for f in faults])

    def add_counted(self, kind: str, file_index: int, count: int, sample: list[Fault],
                    lines: np.ndarray | None = None) -> None:
        """`count` faults of one kind in one file, of which `sample` are kept (the rest are only counted);
        `lines`: the line of every one, when known, for the run's rejected rows."""
        self.total += count
        self.by_kind[kind] += count
        self.per_file[file_index] += count
        self._kept += [(file_index, f.line, f) for f in sample]
        self._trim()
        unit = sample[0].unit if sample else "line"
        found = lines if lines is not None else np.array([f.line for f in sample], dtype=np.int64)
        self._keep(file_index, [(int(line), unit, kind) for line in found])

    def _keep(self, file_index: int, faults: list[tuple[int, str, str]]) -> None:
        if not self.keep_every or not faults:
            return
        codes = []
        for _, unit, kind in faults:
            code = _code(unit, kind)
            self.names.setdefault(code, (unit, kind))
            codes.append(code)
        ids = (np.uint64(file_index) << np.uint64(LINE_BITS)) | np.array([f[0] for f in faults], dtype=np.uint64)
        self.rows.add(np.column_stack([ids, np.array(codes, dtype=np.uint64)]))
        if os.environ.get(SPILL_DIR_ENV) and sum(len(t) for t in self.rows.memory) > MEMORY_BOUND:
            self.spill()

    def _trim(self) -> None:
        """Keep the first faults in file and line order, whatever order the pieces of the data came in."""
        if len(self._kept) > FAULT_SAMPLE_CAP:
            self._kept = sorted(self._kept, key=lambda item: (item[0], item[1]))[:FAULT_SAMPLE_CAP]

    def merge(self, other: FaultLog) -> FaultLog:
        merged = FaultLog(self.keep_every or other.keep_every)
        merged.total = self.total + other.total
        merged.by_kind = self.by_kind + other.by_kind
        merged.per_file = self.per_file + other.per_file
        merged._kept = self._kept + other._kept
        merged._trim()
        merged.rows, merged.names = self.rows.merge(other.rows), {**self.names, **other.names}
        return merged

    def samples(self, files: list[SourceFile]) -> list[Fault]:
        return [f for _, _, f in sorted(self._kept, key=lambda item: (item[0], item[1]))]

    def spill(self) -> int:
        """Write the faults kept in memory to disk, sorted by row; how many were written."""
        self.rows.memory = sort_rows(self.rows.memory)
        return self.rows.spill()

    def load(self) -> None:
        """Read the faults written to disk back into memory (a fold leaving a node of a Ray cluster)."""
        self.rows.load()

    def every(self) -> Iterator[tuple[int, int, str, str]]:
        """(file index, line, unit, kind) of every fault kept, in file and line order."""
        if not len(self.rows):
            return
        for block in in_row_order(self.rows):
            ids, codes = block[:, 0], block[:, 1].tolist()
            for index, line, code in zip((ids >> np.uint64(LINE_BITS)).tolist(),
                                         (ids & np.uint64((1 << LINE_BITS) - 1)).tolist(), codes):
                unit, kind = self.names[code]
                yield index, line, unit, kind
