"""Exact duplicates' groups as its result needs them: each group's size and first row ids, largest first,
then by first row; every member too when found from the rows (findings list them all), not when found from a
summary of the cache's leading files (summary.py), which keeps the first ids only.

`summarised` makes a state's rows that summary (the form the cache keeps of a run's leading files), and
`from_summary` finishes a state holding one: the rows held beside it (the files read this run) are summarised
and looked up in it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from traingate.validators.common.grouping import clusters, holding, in_key_order, largest_first
from traingate.validators.common.partitioned import Partitioned
from traingate.validators.uniqueness.runs import key_order, repeated
from traingate.validators.uniqueness.summary import NONE, SHOWN, Summary

KEY, ID, PROMPT = 0, 1, 2  # the columns of exact duplicates' table


@dataclass
class Kept:
    """The rows of a state, summarised: by content key, and (with prompt fields) by prompt key with the
    content keys' least and greatest."""

    content: Summary
    prompts: Summary | None

    def merge(self, other: Kept) -> Kept:
        prompts = None if self.prompts is None or other.prompts is None else self.prompts.merge(other.prompts)
        return Kept(self.content.merge(other.content), prompts)


@dataclass
class Ranked:
    """Groups largest first, then by first row: their sizes, and either every member of each (found from the
    rows) or the first SHOWN row ids of each (from a summary; NONE past a group's last)."""

    sizes: np.ndarray
    first: np.ndarray | None = None
    members: list[np.ndarray] | None = None

    @classmethod
    def of(cls, groups: list[np.ndarray]) -> Ranked:
        return cls(np.array([len(g) for g in groups], np.int64), members=groups)

    def __len__(self) -> int:
        return len(self.sizes)

    def shown(self, top: int) -> list[np.ndarray]:
        """The first row ids of the first `top` groups."""
        if self.members is not None:
            return [group[:SHOWN] for group in self.members[:top]]
        return [row[row != NONE] for row in (self.first if self.first is not None else [])[:top]]


def summarised(table: Partitioned, prompts: bool) -> Kept:
    """The rows of a table (in memory, or part by part from disk) summarised."""
    width = 3 if prompts else 2
    kept: Kept | None = None
    for rows in table.tables(width):
        part = Kept(_summary(rows[:, KEY], rows[:, ID]), _summary(rows[:, PROMPT], rows[:, ID], rows[:, KEY])
                    if prompts else None)
        kept = part if kept is None else kept.merge(part)
    if kept is None:  # no table at all: the summaries of no rows
        none = np.zeros(0, np.uint64)
        kept = Kept(_summary(none, none), _summary(none, none, none) if prompts else None)
    return kept


def from_summary(kept: Kept, table: Partitioned, prompts: bool) -> tuple[Ranked, Ranked]:
    """Duplicate clusters and prompt conflicts of the summarised rows and the table's rows together."""
    extra = summarised(table, prompts) if len(table) else None
    clusters = kept.content.groups(extra.content if extra is not None else None)
    conflicts = kept.prompts.groups(extra.prompts if extra is not None else None, differ=True) \
        if kept.prompts is not None else None  # a summary of no rows is still one: its length is 0
    return (Ranked(clusters.counts, clusters.first),
            Ranked(conflicts.counts, conflicts.first) if conflicts is not None else Ranked.of([]))


def from_rows(table: Partitioned, key_runs: dict[int, np.ndarray], prompts: bool) -> tuple[Ranked, Ranked]:
    """Duplicate clusters and prompt conflicts found from every row (in memory, or part by part from disk);
    with the cached files' sorted runs (`key_runs`, runs.py), the content keys repeated are found by merging
    them."""
    groups: list[np.ndarray] = []
    conflicts: list[np.ndarray] = []
    width = 3 if prompts else 2
    kept = repeated(table.memory, key_runs) if not table.parts else None
    with ThreadPoolExecutor(max_workers=2) as pool:  # numpy sorts without the GIL: the two run side by side
        for rows in table.tables(width):
            keys, ids = rows[:, KEY], rows[:, ID]
            found = pool.submit(_conflicts, rows) if prompts and len(rows) else None
            chosen = None if kept is None else holding(keys, kept)  # the rows whose content key repeats
            groups += clusters(keys, ids, rare=True) if chosen is None else clusters(keys[chosen], ids[chosen])
            conflicts += found.result() if found is not None else []
    ordered = (largest_first(groups), largest_first(conflicts)) if table.parts else (groups, conflicts)
    return Ranked.of(ordered[0]), Ranked.of(ordered[1])


def _conflicts(rows: np.ndarray) -> list[np.ndarray]:
    """Groups of rows sharing a prompt but not their full content, the rows ordered by (prompt, row id) with
    one stable sort that merges the cached files' sorted runs (runs.py)."""
    prompts, ids = rows[:, PROMPT], rows[:, ID]
    return clusters(prompts, ids, rows[:, KEY], order=key_order(prompts))


def _summary(keys: np.ndarray, ids: np.ndarray, values: np.ndarray | None = None) -> Summary:
    """`Summary.of`, which sorts by (key, row id): a stable sort by key finds that order where the rows are
    held in row id order within each key (the cache's sorted runs, runs.py), else a sort by both."""
    order = np.argsort(keys, kind="stable")
    if not in_key_order(keys[order], ids[order]):
        order = np.lexsort((ids, keys))
    return Summary.of(keys[order], ids[order], None if values is None else values[order], ordered=True)
