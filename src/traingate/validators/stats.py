"""Distributions for the report, on every run: characters and tokens per field, turns per conversation.
Fixed histogram bins (exact below 64, then 16 per octave) so that merged states equal one pass."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyarrow.compute as pc

from traingate.engine.batch import BatchContext
from traingate.results.model import Distribution, Histogram

EXACT = 64
PER_OCTAVE = 16
BINS = EXACT + PER_OCTAVE * 40
DISPLAY_BINS = 40


def bin_of(values: np.ndarray) -> np.ndarray:
    v = np.maximum(values.astype(np.float64), 0)
    with np.errstate(divide="ignore"):
        log_bins = EXACT + np.floor(PER_OCTAVE * np.log2(np.maximum(v, EXACT) / EXACT)).astype(np.int64)
    return np.minimum(np.where(v < EXACT, v.astype(np.int64), log_bins), BINS - 1)


def lower_edge(b: int) -> float:
    return float(b) if b < EXACT else EXACT * 2 ** ((b - EXACT) / PER_OCTAVE)


@dataclass
class Accumulator:
    count: int = 0
    total: float = 0.0
    low: float = math.inf
    high: float = -math.inf
    bins: np.ndarray = field(default_factory=lambda: np.zeros(BINS, dtype=np.int64))

    def add(self, values: np.ndarray) -> None:
        if len(values):
            self.count += len(values)
            self.total += float(values.sum())
            self.low, self.high = min(self.low, float(values.min())), max(self.high, float(values.max()))
            self.bins += np.bincount(bin_of(values), minlength=BINS)

    def merge(self, other: Accumulator) -> Accumulator:
        return Accumulator(self.count + other.count, self.total + other.total, min(self.low, other.low),
                           max(self.high, other.high), self.bins + other.bins)

    def quantile(self, q: float) -> float:
        target = q * self.count
        cumulative = np.cumsum(self.bins)
        b = int(np.searchsorted(cumulative, target, side="left"))
        upper = lower_edge(b + 1) if b >= EXACT else float(b)
        return min(max(upper, self.low), self.high)

    def finish(self, name: str) -> Distribution:
        used = np.flatnonzero(self.bins)
        edges: list[float] = []
        counts: list[int] = []
        if len(used):
            first, last = int(used[0]), int(used[-1]) + 1
            step = max(1, math.ceil((last - first) / DISPLAY_BINS))
            for start in range(first, last, step):
                edges.append(lower_edge(start))
                counts.append(int(self.bins[start: start + step].sum()))
        empty = self.count == 0
        return Distribution(name=name, count=self.count, sum=self.total, min=None if empty else self.low,
                            max=None if empty else self.high, mean=None if empty else self.total / self.count,
                            quantiles={} if empty else {f"p{int(q * 100)}": self.quantile(q) for q in (0.5, 0.9, 0.99)},
                            histogram=Histogram(edges=edges, counts=counts))


class StatsCollector:
    """Same accumulator shape as a validator; not a check, so it never affects the gate."""

    def create_state(self) -> dict[str, Accumulator]:
        return {}

    def add_batch(self, state: dict[str, Accumulator], batch: BatchContext) -> dict[str, Accumulator]:
        for view in batch.views():
            for unit in ("chars", "tokens"):
                values = batch.per_row(view, batch.counts(view, unit))
                if view.rows is None:
                    values = values[np.asarray(view.values.is_valid(), dtype=bool)]
                state.setdefault(f"{unit}.{view.field}", Accumulator()).add(values)
        messages = batch.field("messages") if self_is_chat(batch) else None
        if messages is not None and hasattr(messages.type, "value_type"):
            turns = np.asarray(pc.list_value_length(messages).drop_null(), dtype=np.int64)
            state.setdefault("turns", Accumulator()).add(turns)
        return state

    def merge_states(self, a: dict[str, Accumulator], b: dict[str, Accumulator]) -> dict[str, Accumulator]:
        return {k: a.get(k, Accumulator()).merge(b.get(k, Accumulator())) for k in a.keys() | b.keys()}

    def finalize(self, state: dict[str, Accumulator]) -> list[Distribution]:
        return [state[k].finish(k) for k in sorted(state)]


def self_is_chat(batch: BatchContext) -> bool:
    return batch.spec.kind == "chat"
