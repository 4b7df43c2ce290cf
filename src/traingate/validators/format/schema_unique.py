"""The schema's `unique` rule over the whole dataset: what the check holds for it (per unique column, 16 bytes a
row: an xxh64 of the value's text and the row's id), how two such states merge, and the repeats counted at the
end, every occurrence after a value's first row, with samples of them chosen by row priority. Under
`--max-memory` the hashes are written to disk split by hash and counted part by part, exactly
(validators/common/partitioned.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from traingate.data.arrays import arrow_of, bools
from traingate.data.batch import BatchContext
from traingate.data.rowids import split_row_id
from traingate.results.model import Sample
from traingate.validators.common.flags import FlagState
from traingate.validators.common.grouping import repeated_rows
from traingate.validators.common.partitioned import Partitioned
from traingate.validators.common.samples import Reservoir, row_keys
from traingate.validators.format.pandera_bridge import ColumnSpec
from traingate.validators.format.schema_hash import value_hashes


@dataclass
class SchemaState(FlagState):
    unique: dict[str, Partitioned] = field(default_factory=dict)  # per unique column: value hash, row id
    files: dict[int, tuple[str, str]] = field(default_factory=dict)


def add_unique(state: SchemaState, columns: dict[str, ColumnSpec], batch: BatchContext) -> None:
    """Hold the value hash and row id of each non-null value of the batch's unique columns."""
    for name, spec in columns.items():
        array = batch.column(name)
        if spec.unique and array is not None:
            valid = np.flatnonzero(bools(array.is_valid())) if array.null_count else np.arange(len(array))
            present = array.take(arrow_of(valid)) if array.null_count else array
            values = present.cast(pa.string())  # the value's text, hashed from Arrow's buffers
            state.unique.setdefault(name, Partitioned()).add(np.column_stack([value_hashes(values), batch.row_ids(valid)]))


def merge_unique(base: FlagState, a: SchemaState, b: SchemaState) -> SchemaState:
    """`base` (a and b merged as flag states) with a's and b's value hashes and files."""
    unique = {name: a.unique.get(name, Partitioned()).merge(b.unique.get(name, Partitioned()))
              for name in a.unique.keys() | b.unique.keys()}
    return SchemaState(base.rows, base.flagged, base.reasons, base.samples, findings=base.findings, unique=unique,
                       files={**a.files, **b.files})


def repeated_values(state: SchemaState, keep_findings: bool) -> tuple[dict[str, int], list[tuple[int, dict[str, Any]]]]:
    """Repeated values per unique column (every occurrence after a value's first row), and samples of
    them chosen by row priority; with `keep_findings`, each repeat a finding of the state."""
    counts: dict[str, int] = {}
    samples: list[tuple[int, dict[str, Any]]] = []
    state.findings.files.update(state.files)
    cap = Reservoir().cap
    for name, table in sorted(state.unique.items()):
        counts[name], chosen = 0, np.zeros(0, np.uint64)
        for part in table.tables(2):
            part = part[repeated_rows(part[:, 0])]  # the rows whose value occurs more than once
            order = np.lexsort((part[:, 1], part[:, 0]))
            hashes, ids = part[order, 0], part[order, 1]
            repeat = np.concatenate(([False], hashes[1:] == hashes[:-1])) if len(hashes) else hashes.astype(bool)
            counts[name] += int(repeat.sum())
            chosen = np.concatenate([chosen, ids[repeat]])
            if keep_findings:
                state.findings.add(ids[repeat], f"unique:{name}")
            chosen = chosen[np.argsort(row_keys(chosen))][:cap]
        for row_id in chosen:
            file_index, line = split_row_id(int(row_id))
            file, unit = state.files[file_index]
            samples.append((int(row_keys(np.array([row_id]))[0]), Sample(
                file=file, line=line, unit=unit, field=name,
                reason=f"unique:{name}", excerpt=f"{name} repeats an earlier value").model_dump()))
    return counts, samples
