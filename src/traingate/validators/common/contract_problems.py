"""What the checks that group rows by a key or look for named values (conflicting labels, agreement, split
leakage, coverage) say when the contract, not the data, is at fault: a key empty or constant in every row
(KeySeen, in constant space so states merge in any order), a value that differs from one the data holds only
in case or punctuation (near_value). Such a check errs with a `contract problem: ` and a hint naming what the
data does hold, rather than failing on every row."""

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
