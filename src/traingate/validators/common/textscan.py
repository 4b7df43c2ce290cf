"""One pass over the text per field per batch. Every check that looks for regexes in text (whitespace,
encoding, special tokens, placeholders, code fences, empty text, blocklists) says which regexes it looks
for in which fields (`ScansText`). The driver collects them from the contract's checks (`text_patterns`)
and hands them to each batch; the first check to read a field runs one combined RE2 pass over it, and
every check then runs its own regexes only on the values that pass found (its candidates).

A value that matches none of the combined alternatives matches none of them alone, so the candidates hold
every value a check would find: its results are the same as with a pass of its own. A check whose regexes
are not all in the batch's set (a batch built without the contract, a regex the combined pattern could not
compile with) makes its own pass, as before.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from traingate.data.arrays import arrow_of, bools
from traingate.data.batch import BatchContext, TextView

__all__ = ["ScansText", "candidates", "combine", "matches", "text_patterns"]


class ScansText(ABC):
    """A check whose findings in a text value all match one of its regexes."""

    @abstractmethod
    def scanned(self) -> list[tuple[list[str] | None, str]]:
        """(fields, regex) for each regex the check looks for; fields None: the batch's text fields."""


def text_patterns(checks: Iterable[object]) -> dict[str | None, tuple[str, ...]]:
    """The regexes the checks look for, per field (None: in every text field), in the checks' order."""
    found: dict[str | None, dict[str, None]] = {}
    for check in checks:
        if isinstance(check, ScansText):
            for fields, pattern in check.scanned():
                for name in fields if fields is not None else [None]:
                    found.setdefault(name, {})[pattern] = None
    return {name: tuple(patterns) for name, patterns in found.items()}


def combine(patterns: Iterable[str]) -> str:
    """One regex matching where any of the patterns does. Each is taken as it is written: patterns that name
    the same group do not compile together, and their checks then make passes of their own."""
    return "|".join(f"(?:{p})" for p in patterns)


def matches(values: pa.Array, pattern: str) -> np.ndarray:
    """Which values the regex finds something in (null: no)."""
    return bools(pc.match_substring_regex(values, pattern))


def _field_patterns(plan: Mapping[str | None, tuple[str, ...]], field: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(plan.get(field, ()) + plan.get(None, ())))


def _shared(batch: BatchContext, view: TextView) -> tuple[frozenset[str], np.ndarray] | None:
    """The regexes of the contract on this view's field and the values matching any of them, computed by
    the first check that asks (checks run on threads: the others wait); None without a usable set."""
    def scan(_: BatchContext) -> tuple[frozenset[str], np.ndarray] | None:
        patterns = _field_patterns(batch.text_patterns or {}, view.field)
        if not patterns:
            return None
        try:
            return frozenset(patterns), np.flatnonzero(matches(view.values, combine(patterns)))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # together they do not compile (RE2's limits)
            return None
    shared: tuple[frozenset[str], np.ndarray] | None = batch.derived(f"textscan:{view.field}", scan)
    return shared


def candidates(batch: BatchContext, view: TextView, patterns: list[str]) -> tuple[np.ndarray, bool]:
    """Indices of the view's values that may match one of `patterns` (every value that does is among them),
    and whether they came from the shared pass (True) or from a pass of this check's own (exact then)."""
    shared = _shared(batch, view) if batch.text_patterns else None
    if shared is not None and shared[0].issuperset(patterns):
        return shared[1], True
    return np.flatnonzero(matches(view.values, combine(patterns))), False


def take(values: pa.Array, indices: np.ndarray) -> pa.Array:
    """The values at the indices (numpy), without pyarrow's conversion bridge."""
    return values.take(arrow_of(np.asarray(indices, dtype=np.int64)))
