"""Which row of a group of duplicates survives, when several checks rejects rows: one row per group of rows
the duplicate checks link, whichever checks link them. Each duplicate check keeps its own representative
(validators/common/keep.py: first, longest, highest), and two checks can disagree: exact_duplicates keeping
the first copy and near_duplicates the copy of highest score drop both; exact_duplicates keeping a test copy
that split_leakage drops loses the row from both splits. So the clusters of every rejecting duplicate check
are joined into groups (connected components: a row in two clusters links them), and each group keeps one
row: the representatives the checks chose, in the contract's order, then the group's other rows in data
order; the first of them that no other rejecting check rejects and that could be read. Every other row of a
group is rejected. The output then holds no two rows any duplicate check links, and no group is lost whole
unless every row of it is rejected for something else."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from traingate.data.lookup import LINE_BITS
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings
from traingate.validators.common.lsh import components

Row = tuple[int, int]  # file index, line
BLOCK = 65_536  # row ids of other checks' findings held at a time


def _row_id(index: int, line: int) -> int:
    return index << LINE_BITS | line


def representatives(validators: Sequence[Validator[Any, Any]], states: Sequence[Any], places: Sequence[int],
                    index_of: Mapping[str, int], faulted: Iterator[Row]) -> np.ndarray:
    """The sorted row ids each group of duplicates keeps. `places`: the rejecting checks (contract order);
    `faulted`: the rows that could not be read."""
    members, kept = _clusters(validators, states, places, index_of)
    if not members:
        return np.empty(0, dtype=np.uint64)
    linked = np.unique(np.concatenate(members))
    rejected = _rejected_otherwise(validators, states, places, index_of, faulted, linked)
    pairs = np.concatenate([np.column_stack([np.full(len(m) - 1, m[0]), m[1:]]) for m in members]).astype(np.uint64)
    by_row = np.argsort(kept, kind="stable")  # the checks' own choices, in contract order, looked up by row
    chosen = []
    for group in components(pairs):
        at = np.searchsorted(kept, group, sorter=by_row)
        found = (at < len(kept)) & (kept[by_row[np.minimum(at, len(kept) - 1)]] == group)
        rank = np.where(found, by_row[np.minimum(at, len(kept) - 1)], len(kept))
        order = group[np.lexsort((group, rank))]
        survivor = order[~np.isin(order, rejected)][:1]
        chosen.extend(survivor.tolist())
    return np.array(sorted(chosen), dtype=np.uint64)


def _clusters(validators: Sequence[Validator[Any, Any]], states: Sequence[Any], places: Sequence[int],
              index_of: Mapping[str, int]) -> tuple[list[np.ndarray], np.ndarray]:
    """The rows of each cluster (of two rows or more) of each duplicate check, and the representatives the
    checks kept, each once, in contract order."""
    groups: dict[tuple[int, int], list[int]] = {}
    kept: list[int] = []
    for place in places:
        validator = validators[place]
        assert isinstance(validator, ListsFindings)
        for record in validator.findings(states[place]):
            if "cluster" not in record:
                break  # a check's findings are all of a cluster, or none is
            row = _row_id(index_of[record["file"]], int(record["line"]))
            groups.setdefault((place, int(record["cluster"])), []).append(row)
            if record.get("kept", record.get("first", False)):
                kept.append(row)
    members = [np.array(rows, dtype=np.uint64) for rows in groups.values() if len(rows) > 1]
    ordered = np.array(kept, dtype=np.uint64)
    _, first = np.unique(ordered, return_index=True)
    return members, ordered[np.sort(first)]


def _rejected_otherwise(validators: Sequence[Validator[Any, Any]], states: Sequence[Any], places: Sequence[int],
                        index_of: Mapping[str, int], faulted: Iterator[Row], linked: np.ndarray) -> np.ndarray:
    """The rows among `linked` (sorted) that a rejecting check other than a duplicate check rejects, or that
    could not be read; read a block at a time, so only those rows are held."""
    found: list[np.ndarray] = []
    block: list[int] = []

    def keep() -> None:
        rows = np.array(block, dtype=np.uint64)
        found.append(rows[np.isin(rows, linked)])
        block.clear()
    for place in places:
        validator = validators[place]
        assert isinstance(validator, ListsFindings)
        for record in validator.findings(states[place]):
            if "cluster" in record:
                break
            block.append(_row_id(index_of[record["file"]], int(record["line"])))
            if len(block) >= BLOCK:
                keep()
    block.extend(_row_id(i, line) for i, line in faulted)
    keep()
    return np.unique(np.concatenate(found))
