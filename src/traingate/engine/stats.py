"""The state of the run's distributions (engine/stats_collector.py collects them, on every run): per
distribution its count, sum, extremes, counts in fixed histogram bins (engine/stats_bins.py: exact below 64,
then 16 per octave, so that merged states equal one pass), its sketch for drift, and a sample for quantiles.
Quantiles are exact up to QUANTILE_SAMPLE values; beyond, the bin comes from every value and the place in it
from a seeded sample of rows (the same rows for any split). These classes are pickled, in a worker's fold and
in the cache's entry of a file's shared part, under this module's name."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from traingate.engine.stats_bins import BINS, EXACT, bin_of, bins_of, lower_edge
from traingate.results.model import Distribution, Histogram
from traingate.validators.common.sketches import AnySketch, NumericSketch

DISPLAY_BINS = 40
QUANTILE_SAMPLE = 16_384  # values kept for quantiles: 256 KiB per distribution
QUANTILES = (0.5, 0.9, 0.99)


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
