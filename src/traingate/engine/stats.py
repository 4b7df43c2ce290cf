"""Distributions for the report, on every run: characters and tokens per field, turns per conversation.
Each distribution also folds the feature's sketch (validators/common/sketches.py) from the values it already
has, for drift against a later run; features a `drift` or `distribution` check names are sketched too.
Fixed histogram bins (exact below 64, then 16 per octave) so that merged states equal one pass. Quantiles
are exact up to QUANTILE_SAMPLE values; beyond, the bin comes from every value and the place in it from
a seeded sample of rows (the same rows for any split)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from traingate.contracts.model import Contract
from traingate.data.batch import BatchContext
from traingate.results.model import Distribution, Histogram, Sketch
from traingate.validators.common.samples import row_keys
from traingate.validators.common.sketch_features import is_length, length_values, observe, turn_counts
from traingate.validators.common.sketches import AnySketch, NumericSketch, merge_sketches

EXACT = 64
PER_OCTAVE = 16
BINS = EXACT + PER_OCTAVE * 40
DISPLAY_BINS = 40
QUANTILE_SAMPLE = 16_384  # values kept for quantiles: 256 KiB per distribution
QUANTILES = (0.5, 0.9, 0.99)


def bin_of(values: np.ndarray) -> np.ndarray:
    v = np.maximum(values.astype(np.float64), 0)
    with np.errstate(divide="ignore"):
        log_bins = EXACT + np.floor(PER_OCTAVE * np.log2(np.maximum(v, EXACT) / EXACT)).astype(np.int64)
    return np.minimum(np.where(v < EXACT, v.astype(np.int64), log_bins), BINS - 1)


SMALL = 1 << 16  # whole numbers below this find their bin in a table (bin_of of each): one read, not eight passes


@cache
def _small_bins() -> np.ndarray:
    return bin_of(np.arange(SMALL))


def bins_of(values: np.ndarray) -> np.ndarray:
    """bin_of, through the table when every value is a whole number in [0, SMALL) (counts of characters,
    tokens, turns)."""
    if values.dtype.kind in "iu" and len(values) and values.min() >= 0 and values.max() < SMALL:
        binned: np.ndarray = _small_bins()[values]
        return binned
    return bin_of(values)


def lower_edge(b: int) -> float:
    return float(b) if b < EXACT else EXACT * 2 ** ((b - EXACT) / PER_OCTAVE)


@dataclass
class RowSample:
    """The values of the rows with the QUANTILE_SAMPLE smallest row keys: the same rows for any split."""

    keys: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint64))
    values: np.ndarray = field(default_factory=lambda: np.empty(0, np.float64))

    def add(self, keys: np.ndarray, values: np.ndarray) -> None:
        merged = self.merge(RowSample(keys, values.astype(np.float64)))  # full: only rows at or below its largest
        self.keys, self.values = merged.keys, merged.values

    def _keep(self, keys: np.ndarray, values: np.ndarray) -> None:
        if len(keys) > QUANTILE_SAMPLE:
            chosen = np.argpartition(keys, QUANTILE_SAMPLE - 1)[:QUANTILE_SAMPLE]
            keys, values = keys[chosen], values[chosen]
        self.keys, self.values = keys, values

    def merge(self, other: RowSample) -> RowSample:
        """The QUANTILE_SAMPLE smallest keys of both: of a full sample's, only those at or below the other's
        largest can be among them (a cached run merges twenty files' samples: most merges keep one side whole)."""
        mine, theirs = self._below(other), other._below(self)
        merged = RowSample(mine.keys, mine.values)
        if len(theirs.keys):
            merged._keep(np.concatenate([mine.keys, theirs.keys]), np.concatenate([mine.values, theirs.values]))
        return merged

    def _below(self, other: RowSample) -> RowSample:
        """This sample's rows that can be among the smallest keys of both: all, unless `other` is full."""
        if len(other.keys) < QUANTILE_SAMPLE or not len(self.keys):
            return self
        enter = self.keys <= other.keys.max()  # a key equal to it may be among them (ties: one of each)
        return self if enter.all() else RowSample(self.keys[enter], self.values[enter])


@dataclass
class Accumulator:
    count: int = 0
    total: float = 0.0
    low: float = math.inf
    high: float = -math.inf
    bins: np.ndarray = field(default_factory=lambda: np.zeros(BINS, dtype=np.int64))
    sample: RowSample = field(default_factory=RowSample)
    several: bool = False  # a row held several values (turns), summed: a bound on each value is not on these
    sketch: NumericSketch = field(default_factory=NumericSketch)

    def add(self, values: np.ndarray, keys: np.ndarray) -> None:
        """`keys`: each value's row key (row_keys of its row id)."""
        if len(values):
            self.sketch.add(values)
            self.count += len(values)
            self.total += float(values.sum())
            self.low, self.high = min(self.low, float(values.min())), max(self.high, float(values.max()))
            self.bins += np.bincount(bins_of(values), minlength=BINS)
            self.sample.add(keys, values)

    def merge(self, other: Accumulator) -> Accumulator:
        return Accumulator(self.count + other.count, self.total + other.total, min(self.low, other.low),
                           max(self.high, other.high), self.bins + other.bins, self.sample.merge(other.sample),
                           self.several or other.several, self.sketch.merge(other.sketch))

    def histogram(self) -> Histogram:
        """At most DISPLAY_BINS bins of whole fixed bins; the edges enclose every value."""
        used = np.flatnonzero(self.bins)
        if not len(used):
            return Histogram(edges=[], counts=[])
        first, last = int(used[0]), int(used[-1]) + 1
        step = max(1, math.ceil((last - first) / DISPLAY_BINS))
        starts = range(first, last, step)
        edges = [min(lower_edge(first), self.low)] + [lower_edge(s) for s in starts[1:]] + [max(lower_edge(last), self.high)]
        return Histogram(edges=edges, counts=[int(self.bins[s: s + step].sum()) for s in starts])

    def finish(self, name: str) -> Distribution:
        if self.count == 0:
            return Distribution(name=name, count=0, sum=0.0, min=None, max=None, mean=None,
                                quantile_basis="exact", quantile_sample=0, histogram=self.histogram())
        kept = len(self.sample.values)
        quantiles = {f"p{round(q * 100)}": self.quantile(q) for q in QUANTILES}
        return Distribution(name=name, count=self.count, sum=self.total, min=self.low, max=self.high,
                            mean=self.total / self.count, quantiles=quantiles, quantile_sample=kept,
                            quantile_basis="exact" if kept == self.count else "sample", histogram=self.histogram())

    def quantile(self, q: float) -> float:
        """The smallest value with at least q of the values at or below it: exact while the sample holds every
        value; beyond, the bin that holds it comes from the counts of every value (exact below 64) and the
        place inside that bin from the sampled values in it."""
        kept = self.sample.values
        if len(kept) == self.count:
            return float(np.quantile(kept, q, method="inverted_cdf"))
        cumulative = np.cumsum(self.bins)
        b = int(np.searchsorted(cumulative, q * self.count, side="left"))
        inside = kept[bin_of(kept) == b]
        if b < EXACT or not len(inside):
            return min(max(lower_edge(b), self.low), self.high)
        share = (q * self.count - (int(cumulative[b - 1]) if b else 0)) / int(self.bins[b])
        return float(np.quantile(inside, min(max(share, 0.0), 1.0), method="inverted_cdf"))


@dataclass
class Stats:
    """The collector's state: a distribution per length (each with its sketch), and the sketches of the
    other features the contract's checks name."""

    lengths: dict[str, Accumulator] = field(default_factory=dict)
    sketches: dict[str, AnySketch] = field(default_factory=dict)


class StatsCollector:
    """Same accumulator shape as a validator; not a check, so it never affects the gate."""

    def __init__(self, features: tuple[str, ...] = ()):
        self.features = [f for f in features if not is_length(f)]  # lengths are sketched with their distribution

    def create_state(self) -> Stats:
        return Stats()

    def add_batch(self, state: Stats, batch: BatchContext) -> Stats:
        keys = row_keys(batch.row_ids(np.arange(batch.num_rows)))
        for view in batch.views():
            for unit in ("chars", "tokens"):
                values, valid = length_values(batch, view, unit)
                accumulator = state.lengths.setdefault(f"{unit}.{view.field}", Accumulator())
                accumulator.add(values[valid], keys[valid])
                accumulator.several |= view.rows is not None
        turns = turn_counts(batch)
        if turns is not None:
            state.lengths.setdefault("turns", Accumulator()).add(turns[0][turns[1]], keys[turns[1]])
        if self.features:
            state.sketches = observe(state.sketches, batch, self.features)
        return state

    def merge_states(self, a: Stats, b: Stats) -> Stats:
        lengths = {k: a.lengths.get(k, Accumulator()).merge(b.lengths.get(k, Accumulator()))
                   for k in a.lengths.keys() | b.lengths.keys()}
        return Stats(lengths, merge_sketches(a.sketches, b.sketches))

    def finalize(self, state: Stats) -> list[Distribution]:
        return [state.lengths[k].finish(k) for k in sorted(state.lengths)]

    def sketches(self, state: Stats) -> list[Sketch]:
        """Every sketch of the run, by feature name."""
        every: dict[str, Any] = {**{k: a.sketch for k, a in state.lengths.items()}, **state.sketches}
        return [every[k].to_model(k) for k in sorted(every)]


def sketched_features(contract: Contract) -> tuple[str, ...]:
    """The features the contract's `drift` checks and coverage `distribution` checks name."""
    named: list[str] = []
    for check in contract.all_checks():
        if check.type == "drift":
            named += list(getattr(check, "features", None) or [])
        elif check.type == "distribution" and getattr(check, "feature", None) not in (None, "length_bucket"):
            named.append(check.feature)  # type: ignore[attr-defined]
    return tuple(dict.fromkeys(named))
