"""The fixed histogram bins of the run's distributions (engine/stats.py): exact below EXACT (one bin per whole
number), then PER_OCTAVE bins per doubling, BINS in all. The bins are fixed, not fitted to the data, so that
the counts of merged states equal those of one pass."""

from __future__ import annotations

from functools import cache

import numpy as np

EXACT = 64
PER_OCTAVE = 16
BINS = EXACT + PER_OCTAVE * 40


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
