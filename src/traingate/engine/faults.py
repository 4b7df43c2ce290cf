"""Unreadable records: counted per kind and per file, with capped samples in file/line order."""

from __future__ import annotations

from collections import Counter

from traingate.data.sources import SourceFile
from traingate.results.model import Fault

FAULT_SAMPLE_CAP = 50


class FaultLog:
    def __init__(self) -> None:
        self.total = 0
        self.by_kind: Counter[str] = Counter()
        self.per_file: Counter[int] = Counter()
        self._kept: list[tuple[int, int, Fault]] = []

    def add(self, faults: list[Fault], file_index: int) -> None:
        for fault in faults:
            self.total += 1
            self.by_kind[fault.kind] += 1
            self.per_file[file_index] += 1
            self._kept.append((file_index, fault.line, fault))
        self._trim()

    def add_counted(self, kind: str, file_index: int, count: int, sample: list[Fault]) -> None:
        """`count` faults of one kind in one file, of which `sample` are kept (the rest are only counted)."""
        self.total += count
        self.by_kind[kind] += count
        self.per_file[file_index] += count
        self._kept += [(file_index, f.line, f) for f in sample]
        self._trim()

    def _trim(self) -> None:
        """Keep the first faults in file and line order, whatever order the pieces of the data came in."""
        if len(self._kept) > FAULT_SAMPLE_CAP:
            self._kept = sorted(self._kept, key=lambda item: (item[0], item[1]))[:FAULT_SAMPLE_CAP]

    def merge(self, other: FaultLog) -> FaultLog:
        merged = FaultLog()
        merged.total = self.total + other.total
        merged.by_kind = self.by_kind + other.by_kind
        merged.per_file = self.per_file + other.per_file
        merged._kept = self._kept + other._kept
        merged._trim()
        return merged

    def samples(self, files: list[SourceFile]) -> list[Fault]:
        return [f for _, _, f in sorted(self._kept, key=lambda item: (item[0], item[1]))]
