"""Column types judged across the whole run: the first type seen in data order decides.

A value of another type is an unreadable record (`type_mismatch`) wherever it lies: in the same block, a
later block, a later file or another shard. Each fold judges its own part in data order; `merge` settles
parts that disagree by the earlier first value, so a sharded run counts what a single-process run counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pyarrow as pa

from traingate.data.arrays import bools
from traingate.data.lookup import LINE_BITS
from traingate.results.model import Fault

SAMPLE_CAP = 50
Position = tuple[int, int]  # (file index, line) of a value


def kind_of(arrow_type: pa.DataType) -> str | None:
    """The JSON type an Arrow type holds (None: only nulls)."""
    t = pa.types
    if t.is_null(arrow_type):
        return None
    if t.is_string(arrow_type) or t.is_large_string(arrow_type) or t.is_temporal(arrow_type):
        return "string"
    if t.is_integer(arrow_type) or t.is_floating(arrow_type) or t.is_decimal(arrow_type):
        return "number"
    if t.is_boolean(arrow_type):
        return "bool"
    if t.is_list(arrow_type) or t.is_large_list(arrow_type) or t.is_fixed_size_list(arrow_type):
        return "list"
    return "object" if t.is_struct(arrow_type) or t.is_map(arrow_type) else str(arrow_type)


def _valid_lines(column: pa.ChunkedArray, lines: np.ndarray) -> np.ndarray:
    if column.null_count == 0:
        return lines
    selected: np.ndarray = lines[bools(column.is_valid())]  # without pyarrow's pandas bridge
    return selected


@dataclass
class Tally:
    """The values of one type in one column: where the first lies, how many per file, the first few."""

    first: Position
    per_file: Counter[int] = field(default_factory=Counter)
    sample: list[Position] = field(default_factory=list)
    nulled: list[np.ndarray] = field(default_factory=list)  # row ids set to null, when every one is kept

    def add(self, file_index: int, count: int, lines: Callable[[], np.ndarray], nulled: bool = False) -> None:
        self.per_file[file_index] += count
        if len(self.sample) < SAMPLE_CAP:
            self.sample += [(file_index, int(x)) for x in lines()[: SAMPLE_CAP - len(self.sample)]]
        if nulled:
            self.nulled.append((np.uint64(file_index) << np.uint64(LINE_BITS)) | lines().astype(np.uint64))

    def merge(self, other: Tally) -> Tally:
        return Tally(min(self.first, other.first), self.per_file + other.per_file,
                     sorted(self.sample + other.sample)[:SAMPLE_CAP], self.nulled + other.nulled)

    def lines_in(self, file_index: int, count: int) -> np.ndarray | None:
        """The lines of this type's values in a file, when every one was set to null (a part of the data
        that read this type first kept its values, and their lines are not known)."""
        ids = np.concatenate(self.nulled) if self.nulled else np.zeros(0, np.uint64)
        lines = ids[(ids >> np.uint64(LINE_BITS)) == file_index] & np.uint64((1 << LINE_BITS) - 1)
        return np.sort(lines).astype(np.int64) if len(lines) == count else None


@dataclass
class ColumnTypes:
    """Per column and type, the values read. A fold keeps the first type it meets in each column (later
    values of other types become null); the faults are counted at the end, against the type whose first
    value comes first in the whole run."""

    tallies: dict[str, dict[str, Tally]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # column -> the type this fold keeps (a live view)
    keep_every: bool = False  # the row of every value set to null (the run's rejected rows)

    def expected(self) -> dict[str, str]:
        """The kept types, a live view: a reader sees each decision as soon as it is made."""
        return self.kinds

    def _tally(self, name: str, kind: str, first: Position) -> Tally:
        by_kind = self.tallies.setdefault(name, {})
        if kind not in by_kind:
            by_kind[kind] = Tally(first)
            self.kinds.setdefault(name, kind)
        return by_kind[kind]

    def judge(self, table: pa.Table, lines: np.ndarray, file_index: int,
              mismatched: list[tuple[str, str, int]]) -> pa.Table:
        """Count each column's values by type; a column whose type is not the kept one becomes null.
        `mismatched`: (column, type, line) of values the reader already set to null, tallied after the
        table's own columns: the type the reader kept is the one this fold keeps."""
        for position, name in enumerate(table.column_names):
            column = table.column(name)
            kind = kind_of(column.type)
            if kind is None or column.null_count == len(column):
                continue
            valid = partial(_valid_lines, column, lines)
            known = self.tallies.get(name, {}).get(kind)
            tally = known or self._tally(name, kind, (file_index, int(valid()[0])))
            nulled = self.kinds[name] != kind
            tally.add(file_index, len(column) - column.null_count, valid, nulled and self.keep_every)
            if nulled:
                table = table.set_column(position, name, pa.nulls(len(column), column.type))
        for name, other, line in mismatched:
            self._tally(name, other, (file_index, line)).add(file_index, 1, partial(np.asarray, [line]), self.keep_every)
        return table

    def merge(self, other: ColumnTypes) -> ColumnTypes:
        merged = ColumnTypes({name: dict(by_kind) for name, by_kind in self.tallies.items()}, dict(self.kinds),
                             self.keep_every or other.keep_every)
        for name, by_kind in other.tallies.items():
            mine = merged.tallies.setdefault(name, {})
            for kind, tally in by_kind.items():
                mine[kind] = mine[kind].merge(tally) if kind in mine else tally
            merged.kinds.setdefault(name, other.kinds[name])
        return merged

    def fault_lines(self) -> list[tuple[str, str, str, int, int, np.ndarray | None]]:
        """Each entry of `faults`, in its order: (column, its decided type, the other type, file index, count,
        the lines of those values when every one is known)."""
        out = []
        for name, by_kind in sorted(self.tallies.items()):
            decided = min(by_kind, key=lambda k: by_kind[k].first)
            for kind, tally in sorted(by_kind.items()):
                if kind != decided:
                    out += [(name, decided, kind, index, count, tally.lines_in(index, count))
                            for index, count in sorted(tally.per_file.items())]
        return out

    def faults(self, paths: list[str]) -> list[tuple[int, int, list[Fault]]]:
        """(file index, count, sample faults) of the values whose type is not the column's first in the run."""
        out = []
        for name, by_kind in sorted(self.tallies.items()):
            decided = min(by_kind, key=lambda k: by_kind[k].first)
            for kind, tally in sorted(by_kind.items()):
                if kind == decided:
                    continue
                message = f"field {name!r} is {kind}, its first value in the data is {decided}"
                for index, count in sorted(tally.per_file.items()):
                    sample = [Fault(file=paths[i], line=line, kind="type_mismatch", message=message)
                              for i, line in tally.sample if i == index]
                    out.append((index, count, sample))
        return out
