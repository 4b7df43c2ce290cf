"""Rows grouped by a key, kept without the rows: per key its row count, its first row ids and the least and
greatest of a value over its rows. Exact duplicates keeps its rows this way in the cache's merged state of a
run's leading files (engine/cache_prefix.py), so that a run over those files and a new one finishes from that
summary and the new rows alone: the new keys are looked up in it (a binary search each), rather than every
row of every file grouped again.

The groups it gives are those `grouping.clusters` gives from the rows: the keys held by two or more rows (with
`values`, only those whose rows do not all share one value), largest first, then by first row, each with its
first SHOWN row ids. A key held by one row is kept apart (`one`), in 16 or 24 bytes a key rather than a group's
48, since most keys are."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from traingate.validators.common.grouping import located, run_starts

SHOWN = 3  # the row ids kept of each group: the members a report shows
NONE = (1 << 64) - 1  # no row id (a group of fewer rows): the largest uint64


@dataclass
class Keyed:
    """Keys ascending, each once, with its rows' count, first SHOWN row ids (ascending, NONE after the last)
    and the least and greatest value of its rows (None: not tracked)."""

    keys: np.ndarray
    counts: np.ndarray
    first: np.ndarray
    low: np.ndarray | None = None
    high: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.keys)

    def take(self, at: np.ndarray) -> Keyed:
        return Keyed(self.keys[at], self.counts[at], self.first[at], *_values(self, at))


@dataclass
class Single:
    """Keys a single row holds, ascending: its row id and value (None: not tracked)."""

    keys: np.ndarray
    ids: np.ndarray
    values: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.keys)

    def take(self, at: np.ndarray) -> Keyed:
        first = np.full((len(at), SHOWN), NONE, np.uint64)
        first[:, 0] = self.ids[at]
        values = None if self.values is None else self.values[at]
        return Keyed(self.keys[at], np.ones(len(at), np.int64), first, values, values)


@dataclass
class Summary:
    """A key's groups: `one` the keys a single row holds, `many` the others."""

    one: Single
    many: Keyed

    @classmethod
    def of(cls, keys: np.ndarray, ids: np.ndarray, values: np.ndarray | None = None, ordered: bool = False) -> Summary:
        """The rows' summary; `ordered`: they are given in (key, row id) order."""
        if not ordered:
            order = np.lexsort((ids, keys))
            keys, ids, values = keys[order], ids[order], None if values is None else values[order]
        starts = run_starts(keys)
        counts = np.diff(starts, append=len(keys)).astype(np.int64)
        single = counts == 1
        alone, shared = starts[single], starts[~single]  # a key of one row: its key, row id and value alone
        one = Single(keys[alone], ids[alone], None if values is None else values[alone])
        sizes = counts[~single]
        first = np.full((len(shared), SHOWN), NONE, np.uint64)
        for j in range(SHOWN):
            has = sizes > j
            first[has, j] = ids[shared[has] + j]
        low = high = None
        if values is not None:
            low, high = ((np.minimum.reduceat(values, starts)[~single], np.maximum.reduceat(values, starts)[~single])
                         if len(starts) else (values[:0], values[:0]))
        return cls(one, Keyed(keys[shared], sizes, first, low, high))

    def __len__(self) -> int:
        return len(self.one) + len(self.many)

    def merge(self, other: Summary) -> Summary:
        """Both summaries' rows together (for the cache's merged state). The keys of one row in either stay
        three arrays, in 16 or 24 bytes a key; only those held again elsewhere become groups."""
        ones = [self.one, other.one]
        keys = np.concatenate([o.keys for o in ones])
        order = np.argsort(keys, kind="stable")  # two sorted runs, merged
        keys, ids = keys[order], np.concatenate([o.ids for o in ones])[order]
        values = None if any(o.values is None for o in ones) else np.concatenate([o.values for o in ones])[order]
        many = sorted_keyed(_joined([self.many, other.many]))
        again = np.zeros(len(keys), bool)
        again[1:] = keys[1:] == keys[:-1]
        again[:-1] |= again[1:]
        again |= located(many.keys, keys)[0]
        single = Single(keys, ids, values)
        stay, moved = np.flatnonzero(~again), np.flatnonzero(again)
        both = sorted_keyed(_joined([single.take(moved), many]))
        grouped = _reduced(both, run_starts(both.keys))
        return Summary(Single(keys[stay], ids[stay], None if values is None else values[stay]), grouped)

    def groups(self, extra: Summary | None = None, differ: bool = False) -> Keyed:
        """The groups of these rows and `extra`'s (few, next to these): keys held by two or more rows (with
        `differ`, whose values differ), largest first, then by first row. The keys of `extra` are looked up
        in this summary; none of its other keys is regrouped."""
        base = self.many
        if extra is not None and len(extra):
            added = _joined([extra.one.take(np.arange(len(extra.one))), extra.many])
            found_many, at_many = located(self.many.keys, added.keys)
            found_one, at_one = located(self.one.keys, added.keys)
            untouched = np.ones(len(self.many), bool)
            untouched[at_many[found_many]] = False
            held = _joined([self.many.take(at_many[found_many]), self.one.take(at_one[found_one])])
            hits = len(held)  # each a key of `added` and its group here: side by side, made one
            pairs = _joined([held, added.take(found_many), added.take(found_one)])
            merged = _reduced(pairs.take(np.arange(2 * hits).reshape(2, hits).T.ravel()), np.arange(0, 2 * hits, 2))
            base = _joined([self.many.take(untouched), merged, added.take(~(found_many | found_one))])
        keep = base.counts > 1
        if differ and base.low is not None and base.high is not None:
            keep &= base.low != base.high
        chosen = base.take(np.flatnonzero(keep))
        return chosen.take(np.lexsort((chosen.first[:, 0], -chosen.counts)))


def sorted_keyed(keyed: Keyed) -> Keyed:
    return keyed.take(np.argsort(keyed.keys, kind="stable"))


def _values(keyed: Keyed, at: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    if keyed.low is None or keyed.high is None:
        return None, None
    return keyed.low[at], keyed.high[at]


def _joined(parts: list[Keyed]) -> Keyed:
    low = None if any(p.low is None for p in parts) else np.concatenate([p.low for p in parts])
    high = None if any(p.high is None for p in parts) else np.concatenate([p.high for p in parts])
    return Keyed(np.concatenate([p.keys for p in parts]), np.concatenate([p.counts for p in parts]),
                 np.concatenate([p.first for p in parts]), low, high)


def _reduced(keyed: Keyed, starts: np.ndarray) -> Keyed:
    """Runs of one key (beginning at `starts`) made one: counts added, the first SHOWN row ids of all kept,
    values' least and greatest."""
    if not len(starts):
        return keyed
    counts = np.add.reduceat(keyed.counts, starts)
    runs = np.diff(np.append(starts, len(keyed)))
    first = np.full((len(starts), SHOWN * int(runs.max())), NONE, np.uint64)
    for j in range(int(runs.max())):
        has = runs > j
        first[has, j * SHOWN:(j + 1) * SHOWN] = keyed.first[starts[has] + j]
    first = np.sort(first, axis=1)[:, :SHOWN]
    low = None if keyed.low is None else np.minimum.reduceat(keyed.low, starts)
    high = None if keyed.high is None else np.maximum.reduceat(keyed.high, starts)
    return Keyed(keyed.keys[starts], counts, first, low, high)
