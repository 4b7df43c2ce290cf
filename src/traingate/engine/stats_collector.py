"""The collector of the run's distributions (engine/stats.py), on every run: characters and tokens per field,
turns per conversation, each with its sketch (validators/common/sketches.py), and the sketches of the
features a `drift` or `distribution` check names, for drift against a later run. Shaped like a validator's
accumulator (create, add, merge, finalize) but not a check: it never affects the gate."""

from __future__ import annotations

from typing import Any

import numpy as np

from traingate.contracts.model import Contract
from traingate.data.batch import BatchContext
from traingate.engine.stats import Accumulator, Stats
from traingate.results.model import Distribution, Sketch
from traingate.validators.common.samples import row_keys
from traingate.validators.common.sketch_features import is_length, length_values, observe, turn_counts
from traingate.validators.common.sketches import merge_sketches


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
