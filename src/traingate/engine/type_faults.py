"""The line of every value whose type is not its column's (`type_mismatch`), for the run's rejected rows. A
fold sets to null, and notes, the values of any type but the one it met first; when a part of the data met
another type first than the run did (a shard that starts on such a value), the values it kept are faults whose
lines it did not note: the files holding them are read once more, those columns only, judged against the
run's decided types."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from traingate.data.readers import open_raw
from traingate.data.sources import SourceFile
from traingate.engine.column_types import ColumnTypes
from traingate.engine.shard_reader import read_shard
from traingate.engine.shards import Shard


def mismatch_lines(types: ColumnTypes, files: list[SourceFile]) -> list[np.ndarray]:
    """The lines of each entry of `types.faults` (in its order), every one."""
    entries = types.fault_lines()
    missing: dict[int, dict[str, str]] = defaultdict(dict)  # file index -> column -> decided type
    for name, decided, _, index, _, lines in entries:
        if lines is None:
            missing[index][name] = decided
    again = {index: _read_again(files[index], index, decided) for index, decided in missing.items()}
    out = []
    for name, _, kind, index, count, lines in entries:
        if lines is None:
            lines = again[index].tallies[name][kind].lines_in(index, count)
        out.append(lines if lines is not None else np.zeros(0, np.int64))
    return out


def _read_again(source: SourceFile, index: int, decided: dict[str, str]) -> ColumnTypes:
    """The file's columns judged against their decided types, noting the line of every other value."""
    types = ColumnTypes(kinds=dict(decided), keep_every=True)
    with open_raw(source) as raw:
        for _ in read_shard(source, Shard(index), set(decided), raw, types):
            pass
    return types
