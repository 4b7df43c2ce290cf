"""Rows grouped by equal key, the sorting shared by the checks that find repeats (exact duplicates,
schema `unique`, conflicting labels, preference consistency); and what the checks that group rows by a
key or look for named values (conflicting labels, agreement, split leakage, coverage) say when the contract,
not the data, is at fault: a key empty or constant in every row, a value that differs from one the data
holds only in case or punctuation. Such a check errs with a `contract problem: ` and a hint, rather than
failing on every row."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from traingate.contracts.model import TEXT_FIELDS
from traingate.data.batch import BatchContext

PROBLEM = "contract problem: "


def repeats(ordered: np.ndarray) -> np.ndarray:
    """The keys that occur more than once in `ordered` (sorted), each once, sorted (np.unique would load
    numpy.ma)."""
    again = ordered[1:][ordered[1:] == ordered[:-1]]  # sorted: each repeated key once is where it changes
    found: np.ndarray = again[np.concatenate(([True], again[1:] != again[:-1]))] if len(again) else again
    return found


def holding(keys: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Which of the keys are among `found` (sorted): compared with each when they are few (repeats are rare,
    and a comparison beats a binary search per row), else searched."""
    if len(found) <= 8:
        mask = np.zeros(len(keys), dtype=bool)
        for key in found:
            mask |= keys == key
        return mask
    return located(found, keys)[0]


def located(keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which of `wanted` are among `keys` (ascending), and where (a binary search each)."""
    if not len(keys):
        return np.zeros(len(wanted), bool), np.zeros(len(wanted), np.int64)
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return keys[at] == wanted, at


def run_starts(keys: np.ndarray) -> np.ndarray:
    """Where each run of equal keys begins (`keys` sorted, or grouped)."""
    change = np.ones(len(keys), bool)
    np.not_equal(keys[1:], keys[:-1], out=change[1:])
    return np.flatnonzero(change)


def repeated_rows(keys: np.ndarray) -> np.ndarray:
    """Which rows hold a key that occurs more than once (one sort of the keys, no row order)."""
    return holding(keys, repeats(np.sort(keys)))


def clusters(keys: np.ndarray, ids: np.ndarray, values: np.ndarray | None = None,
             spread: tuple[np.ndarray, float] | None = None, rare: bool = False,
             order: np.ndarray | None = None) -> list[np.ndarray]:
    """Row ids grouped by equal key (groups of two or more), largest first, then by first row; with
    `values`, only the groups whose rows do not all share one value; with `spread` (numbers, tolerance)
    too, a group whose numbers are all numbers (not NaN) is kept when they span more than the tolerance.
    `rare`: repeats are expected to be few (content keys), so the rows holding one are picked out first
    and only they are sorted with their row ids. `order`: a candidate order of the rows by (key, row id), as
    one stable sort by key gives for rows held in row id order within each key (validators/uniqueness/runs.py;
    not with `rare`); it is checked, and the rows are sorted by both where it is not that order."""
    if rare and values is None and len(keys) > 1:
        chosen = repeated_rows(keys)
        keys, ids = keys[chosen], ids[chosen]
    if not len(keys):
        return []
    order, keys, ids = _by_key_and_id(keys, ids, order)
    starts = run_starts(keys)
    sizes = np.diff(np.append(starts, len(keys)))
    keep = sizes > 1
    if values is not None:
        ordered = values[order]
        differ = np.minimum.reduceat(ordered, starts) != np.maximum.reduceat(ordered, starts)
        if spread is not None:
            numbers = spread[0][order]
            numeric = ~np.logical_or.reduceat(np.isnan(numbers), starts)
            wide = np.fmax.reduceat(numbers, starts) - np.fmin.reduceat(numbers, starts) > spread[1]
            differ = np.where(numeric, wide, differ)
        keep &= differ
    starts, sizes = starts[keep], sizes[keep]
    rank = np.lexsort((ids[starts], -sizes))
    return [ids[start: start + size] for start, size in zip(starts[rank].tolist(), sizes[rank].tolist())]


def in_key_order(keys: np.ndarray, ids: np.ndarray) -> bool:
    """Whether the rows, as they are held, are in (key, row id) order, each row id once."""
    after = keys[1:] > keys[:-1]
    return bool(np.all(after | ((keys[1:] == keys[:-1]) & (ids[1:] > ids[:-1]))))


def _by_key_and_id(keys: np.ndarray, ids: np.ndarray,
                   order: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows' order by (key, row id), and their keys and ids in it: the candidate `order` where it is that
    order, else lexsort's."""
    if order is not None:
        ordered_keys, ordered_ids = keys[order], ids[order]
        if in_key_order(ordered_keys, ordered_ids):
            return order, ordered_keys, ordered_ids
    order = np.lexsort((ids, keys))
    return order, keys[order], ids[order]


def largest_first(groups: list[np.ndarray]) -> list[np.ndarray]:
    """Groups found part by part in the order `clusters` gives them: largest first, then by first row."""
    return sorted(groups, key=lambda g: (-len(g), int(g[0])))


def labelled_groups(labels: np.ndarray, names: np.ndarray) -> list[np.ndarray]:
    """`names` (ascending, one per label) grouped by equal label (connected components, say): groups of two or
    more, each ascending, largest first, then by first name."""
    order = np.argsort(labels, kind="stable")
    groups = np.split(names[order], np.flatnonzero(np.diff(labels[order])) + 1)
    return largest_first([g for g in groups if len(g) > 1])


@dataclass
class KeySeen:
    """What the rows said of a grouping key, in constant space (so states merge in any order): the rows,
    the rows whose key is not empty, and whether those keys took more than one value (the one key seen
    is kept until a second shows, then dropped)."""

    rows: int = 0
    filled: int = 0
    first: Any = None
    varied: bool = False

    def add(self, keys: np.ndarray, empty: np.ndarray) -> KeySeen:
        """Rows' keys (hashes or texts), and which of them are empty."""
        self.rows += len(keys)
        filled = keys[~empty]
        self.filled += len(filled)
        if not self.varied and len(filled):
            first = _plain(filled[0]) if self.first is None else self.first
            self.varied = bool((filled != first).any())
            self.first = None if self.varied else first
        return self

    def merge(self, other: KeySeen) -> KeySeen:
        both = self.first is not None and other.first is not None
        varied = self.varied or other.varied or (both and self.first != other.first)
        first = None if varied else (self.first if self.first is not None else other.first)
        return KeySeen(self.rows + other.rows, self.filled + other.filled, first, varied)

    def problem(self, key: str, hint: str, constant: bool = True) -> str | None:
        """The contract problem the key shows, or None: `key` ("field 'prompt'") empty in every row, or
        (with `constant`) holding one value in every row of more than one."""
        several = key.split(" ")[0].endswith("s")  # "fields 'a', 'b'"
        if self.rows and not self.filled:
            found = f"{key} {'are' if several else 'is'} missing or empty in all {self.rows:,} rows"
        elif constant and self.filled == self.rows > 1 and not self.varied:
            found = f"{key} {'hold' if several else 'holds'} the same value in all {self.rows:,} rows"
        else:
            return None
        return f"{PROBLEM}{found}; {hint}"


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def blank(texts: pa.Array) -> np.ndarray:
    """Which texts are empty, null or only spaces."""
    lengths = pc.utf8_length(pc.utf8_trim_whitespace(texts.fill_null("")))
    empty: np.ndarray = np.asarray(lengths.to_numpy(zero_copy_only=False)) == 0
    return empty


def fields_with_text(batch: BatchContext, known: set[str]) -> set[str]:
    """The kind's text fields, besides those `known`, that hold some text in this batch (what a hint
    offers in place of a key the data lacks)."""
    views = {name: batch.text(name) for name in TEXT_FIELDS[batch.spec.kind]
             if name not in known and batch.field(name) is not None}
    return {name for name, view in views.items() if view is not None and not blank(view.values).all()}


def named(kind: str, names: Iterable[str]) -> str:
    """`field 'prompt'`, `fields 'prompt', 'system'`."""
    names = list(names)
    return f"{kind}{'s' if len(names) > 1 else ''} " + ", ".join(repr(n) for n in names)


def seen_in_data(kind: str, names: Iterable[str]) -> str:
    """The hint's tail naming what the data holds: `; fields seen in the data: chosen, rejected`."""
    listed = ", ".join(sorted(names))
    return f"; {kind} seen in the data: {listed}" if listed else ""


SPACING = re.compile(r"[\s_\-.,;:!?'\"()\[\]/\\]+")  # not + # & @ $ %: 'C++' and 'C#' are not 'C'


def canonical(value: str) -> str:
    """A value without case, spacing or punctuation: 'Math ' and 'math.' are alike, 'C++' and 'C' are not."""
    return SPACING.sub("", unicodedata.normalize("NFKC", value).casefold())


def near_value(target: str, seen: Iterable[str]) -> str | None:
    """A value seen that equals `target` up to case, spacing and punctuation (the first in sorted order),
    when `target` itself was not seen."""
    values = set(seen)
    if target in values or not canonical(target):
        return None
    return next((v for v in sorted(values) if canonical(v) == canonical(target)), None)
