"""Distributions for the report, on every run: characters and tokens per field, turns per conversation.
Fixed histogram bins (exact below 64, then 16 per octave) so that merged states equal one pass. Quantiles
are exact up to QUANTILE_SAMPLE values; beyond, the bin comes from every value and the place in it from
a seeded sample of rows (the same rows for any split)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyarrow.compute as pc

from traingate.data.arrays import bools, numbers
from traingate.data.batch import BatchContext
from traingate.results.model import Distribution, Histogram
from traingate.validators.common.samples import row_keys

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


def lower_edge(b: int) -> float:
    return float(b) if b < EXACT else EXACT * 2 ** ((b - EXACT) / PER_OCTAVE)


@dataclass
class RowSample:
    """The values of the rows with the QUANTILE_SAMPLE smallest row keys: the same rows for any split."""

    keys: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint64))
    values: np.ndarray = field(default_factory=lambda: np.empty(0, np.float64))

    def add(self, keys: np.ndarray, values: np.ndarray) -> None:
        if len(self.keys) >= QUANTILE_SAMPLE:  # full: only rows below the largest key kept can enter
            enter = keys < self.keys.max()
            keys, values = keys[enter], values[enter]
        if len(keys):
            self._keep(np.concatenate([self.keys, keys]), np.concatenate([self.values, values.astype(np.float64)]))

    def _keep(self, keys: np.ndarray, values: np.ndarray) -> None:
        if len(keys) > QUANTILE_SAMPLE:
            chosen = np.argpartition(keys, QUANTILE_SAMPLE - 1)[:QUANTILE_SAMPLE]
            keys, values = keys[chosen], values[chosen]
        self.keys, self.values = keys, values

    def merge(self, other: RowSample) -> RowSample:
        merged = RowSample()
        merged._keep(np.concatenate([self.keys, other.keys]), np.concatenate([self.values, other.values]))
        return merged


@dataclass
class Accumulator:
    count: int = 0
    total: float = 0.0
    low: float = math.inf
    high: float = -math.inf
    bins: np.ndarray = field(default_factory=lambda: np.zeros(BINS, dtype=np.int64))
    sample: RowSample = field(default_factory=RowSample)
    several: bool = False  # a row held several values (turns), summed: a bound on each value is not on these

    def add(self, values: np.ndarray, keys: np.ndarray) -> None:
        """`keys`: each value's row key (row_keys of its row id)."""
        if len(values):
            self.count += len(values)
            self.total += float(values.sum())
            self.low, self.high = min(self.low, float(values.min())), max(self.high, float(values.max()))
            self.bins += np.bincount(bin_of(values), minlength=BINS)
            self.sample.add(keys, values)

    def merge(self, other: Accumulator) -> Accumulator:
        return Accumulator(self.count + other.count, self.total + other.total, min(self.low, other.low),
                           max(self.high, other.high), self.bins + other.bins, self.sample.merge(other.sample),
                           self.several or other.several)

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


class StatsCollector:
    """Same accumulator shape as a validator; not a check, so it never affects the gate."""

    def create_state(self) -> dict[str, Accumulator]:
        return {}

    def add_batch(self, state: dict[str, Accumulator], batch: BatchContext) -> dict[str, Accumulator]:
        keys = row_keys(batch.row_ids(np.arange(batch.num_rows)))
        for view in batch.views():
            valid = bools(view.values.is_valid()) if view.rows is None else np.ones(batch.num_rows, bool)
            for unit in ("chars", "tokens"):
                values = batch.per_row(view, batch.counts(view, unit))
                accumulator = state.setdefault(f"{unit}.{view.field}", Accumulator())
                accumulator.add(values[valid], keys[valid])
                accumulator.several |= view.rows is not None
        messages = batch.field("messages") if self_is_chat(batch) else None
        if messages is not None and hasattr(messages.type, "value_type"):
            present = bools(messages.is_valid())
            turns = numbers(pc.list_value_length(messages), fill=0).astype(np.int64)[present]
            state.setdefault("turns", Accumulator()).add(turns, keys[present])
        return state

    def merge_states(self, a: dict[str, Accumulator], b: dict[str, Accumulator]) -> dict[str, Accumulator]:
        return {k: a.get(k, Accumulator()).merge(b.get(k, Accumulator())) for k in a.keys() | b.keys()}

    def finalize(self, state: dict[str, Accumulator]) -> list[Distribution]:
        return [state[k].finish(k) for k in sorted(state)]


def self_is_chat(batch: BatchContext) -> bool:
    return batch.spec.kind == "chat"
