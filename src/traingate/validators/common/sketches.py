"""Feature sketches: a feature's values summarised so that a later run can measure drift against them, and
mergeable so that any split of the rows gives the same sketch.

- numeric: every distinct value with its count while there are at most EXACT_CAP of them; past that, each
  value's fixed bin (whole numbers below 2,048 their own bin, others 1/128 octave wide, keyed by the bin's
  lower edge). A part past the cap means the whole is past it, so a split run converts exactly where the
  whole run does.
- categorical: the count of every label while there are at most LABEL_CAP; past that, the LABEL_CAP labels
  of smallest hash (a label among the whole's smallest hashes is among each part's, so its count is exact)
  and the rest in `other`. A run JSON keeps the TOP_K most frequent labels and counts the rest in `other`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import xxhash

from traingate.results.model import Sketch

EXACT_CAP = 10_000  # distinct numbers kept exactly
DENSE = 1 << 16  # whole numbers below this are counted in a dense array
LABEL_CAP = 10_000  # distinct labels counted
TOP_K = 100  # labels a run JSON keeps
WHOLE_BELOW = 2048  # whole numbers below this are their own histogram bin
PER_OCTAVE = 128


def bin_edges(values: np.ndarray) -> np.ndarray:
    """Each value's histogram bin, as the bin's lower edge (toward zero for negative values)."""
    v = values.astype(np.float64)
    size = np.abs(v)
    whole = (size < WHOLE_BELOW) & (v == np.floor(v))
    with np.errstate(divide="ignore", invalid="ignore"):
        steps = np.floor(PER_OCTAVE * np.log2(np.where(size > 0, size, 1.0)) + 1e-9)  # an edge is its own bin
    return np.where(whole | (size == 0), v, np.sign(v) * np.exp2(steps / PER_OCTAVE))


def _summed(values: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    unique, inverse = np.unique(values, return_inverse=True)
    return unique, np.bincount(inverse.ravel(), weights=counts, minlength=len(unique)).astype(np.int64)


@dataclass
class NumericSketch:
    """Distinct values with their counts (or bins). Whole numbers in [0, DENSE) (lengths, counts) are counted
    in a dense array, indexed by value, while every value so far is one: a bincount per batch instead of a
    sort. Both forms hold the same values; `pairs()` gives them as sorted (values, counts)."""

    values: np.ndarray = field(default_factory=lambda: np.empty(0, np.float64))
    counts: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    exact: bool = True
    dense: np.ndarray | None = field(default_factory=lambda: np.zeros(0, np.int64))  # None: sparse from now on

    def add(self, values: np.ndarray) -> None:
        if self.dense is not None and values.dtype.kind in "iu" and (not len(values) or (
                int(values.min()) >= 0 and int(values.max()) < DENSE)):
            self._add_dense(np.bincount(values, minlength=0))
            return
        values = values.astype(np.float64)
        values = values[np.isfinite(values)]
        if len(values):
            self._to_sparse()
            self._fold(values, np.ones(len(values), np.int64), self.exact)

    def _add_dense(self, counts: np.ndarray) -> None:
        assert self.dense is not None
        if len(counts) > len(self.dense):
            counts, self.dense = self.dense, counts.astype(np.int64)
        self.dense[: len(counts)] += counts
        if np.count_nonzero(self.dense) > EXACT_CAP:
            self._to_sparse()

    def _to_sparse(self) -> None:
        """Let the dense counts go into values and counts (past the cap, their bins)."""
        if self.dense is not None:
            held = np.flatnonzero(self.dense)
            dense, self.dense = self.dense, None
            if len(held):
                self._fold(held.astype(np.float64), dense[held], self.exact)

    def _fold(self, values: np.ndarray, counts: np.ndarray, exact: bool) -> None:
        if not exact and self.exact:
            self.values, self.exact = bin_edges(self.values), False
        if not self.exact:
            values = bin_edges(values)
        self.values, self.counts = _summed(np.concatenate([self.values, values]), np.concatenate([self.counts, counts]))
        if self.exact and len(self.values) > EXACT_CAP:
            self.values, self.counts = _summed(bin_edges(self.values), self.counts)
            self.exact = False

    def merge(self, other: NumericSketch) -> NumericSketch:
        out = NumericSketch(self.values, self.counts, self.exact, None if self.dense is None else self.dense.copy())
        if out.dense is not None and other.dense is not None:
            out._add_dense(other.dense)
            return out
        out._to_sparse()
        theirs = NumericSketch(other.values, other.counts, other.exact, other.dense)
        theirs._to_sparse()
        if len(theirs.values) or not theirs.exact:
            out._fold(theirs.values, theirs.counts, theirs.exact)
        return out

    def pairs(self) -> tuple[np.ndarray, np.ndarray, bool]:
        """Sorted distinct values (or bin edges), their counts, and whether they are exact."""
        if self.dense is None:
            return self.values, self.counts, self.exact
        held = np.flatnonzero(self.dense)
        return held.astype(np.float64), self.dense[held], True

    def to_model(self, name: str) -> Sketch:
        values, counts, exact = self.pairs()
        return Sketch(name=name, kind="numeric", count=int(counts.sum()), basis="exact" if exact else "histogram",
                      values=values.tolist(), counts=counts.tolist())


@dataclass
class CategoricalSketch:
    counts: dict[str, int] = field(default_factory=dict)
    other: int = 0  # values of labels past LABEL_CAP (those of largest hash)
    column_seen: bool = False  # topic, task_type: a file held a column of that name, which is the feature then

    def to_column(self) -> CategoricalSketch:
        """Once a file holds the feature's column: labels given zero-shot to rows of files without it go
        (those rows have no value of the column, as any column's rows in a file without it)."""
        return self if self.column_seen else CategoricalSketch(column_seen=True)

    def add(self, labels: list[str]) -> None:
        for label, count in Counter(labels).items():
            self.counts[label] = self.counts.get(label, 0) + count
        self._cap()

    def _cap(self) -> None:
        if len(self.counts) > LABEL_CAP:
            kept = sorted(self.counts, key=_label_hash)[:LABEL_CAP]
            self.other += sum(self.counts.values()) - sum(self.counts[k] for k in kept)
            self.counts = {k: self.counts[k] for k in kept}

    def merge(self, other: CategoricalSketch) -> CategoricalSketch:
        if self.column_seen != other.column_seen:
            return self.to_column().merge(other.to_column())
        out = CategoricalSketch(dict(self.counts), self.other + other.other, self.column_seen)
        for label, count in other.counts.items():
            out.counts[label] = out.counts.get(label, 0) + count
        out._cap()
        return out

    def to_model(self, name: str) -> Sketch:
        ranked = sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        kept = ranked[:TOP_K]
        other = self.other + sum(c for _, c in ranked[TOP_K:])
        return Sketch(name=name, kind="categorical", count=sum(self.counts.values()) + self.other,
                      basis="exact" if not other else "top_k", values=[k for k, _ in kept],
                      counts=[c for _, c in kept], other=other)


def _label_hash(label: str) -> int:
    return xxhash.xxh3_64_intdigest(label.encode("utf-8", "surrogatepass"))


AnySketch = NumericSketch | CategoricalSketch


def merge_sketches(a: dict[str, AnySketch], b: dict[str, AnySketch]) -> dict[str, AnySketch]:
    """Feature by feature; a feature numeric in one part and categorical in the other is an error."""
    out = dict(a)
    for name, sketch in b.items():
        mine = out.get(name)
        if mine is None:
            out[name] = sketch
        elif type(mine) is not type(sketch):
            raise ValueError(f"feature {name!r} holds numbers in some rows and text in others")
        else:
            out[name] = mine.merge(sketch)  # type: ignore[arg-type]
    return out
