"""A hash-chosen share of a check's rows, kept when the run's memory limit (`--max-memory`) is reached.

A row is kept while its sampling hash (a duplicate key, an input or prompt hash, a value hash) is below a
threshold that halves at each shedding. Rows sharing the sampling hash are kept or dropped together, so
every group found among the kept rows is whole, and counts scale by the rows seen over the rows kept. The
decision depends on the hash alone: the same rows are kept whenever, and on whichever worker, the halving
happens, and states merge at the lower threshold.
"""

from __future__ import annotations

from typing import Any

import numpy as np

FULL_SHARE = 1 << 64


def keep(arrays: list[np.ndarray], samplers: list[np.ndarray], below: int) -> list[np.ndarray]:
    """The rows (first axis) of each array whose matching sampler hash is below `below`."""
    if below >= FULL_SHARE:
        return arrays
    limit = np.uint64(below)
    return [a[s < limit] for a, s in zip(arrays, samplers)]


def scaled(count: int, kept: int, seen: int, below: int) -> int:
    """A count found among `kept` rows, scaled to the `seen` rows when only a share was kept."""
    if below >= FULL_SHARE:
        return count
    return round(count / kept * seen) if kept else 0


def details(below: int, kept: int, by: str, noun: str = "rows") -> dict[str, Any]:
    """What a result says of its sample under `details.sampled` (empty when every row was kept)."""
    if below >= FULL_SHARE:
        return {}
    return {"sampled": {"share": below / FULL_SHARE, f"{noun}_kept": kept,
                        "why": f"memory limit (--max-memory): {noun} kept by {by}"}}


def note(below: int, kept: int, noun: str = "rows") -> str:
    """The message's clause saying a figure is an estimate (empty when every row was kept)."""
    if below >= FULL_SHARE:
        return ""
    return f", estimated on {kept} {noun} ({below / FULL_SHARE:.1%} by hash) to stay under --max-memory"
