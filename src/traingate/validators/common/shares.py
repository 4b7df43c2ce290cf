"""A hash-chosen share of a check's rows, kept when the run's memory limit (`--max-memory`) is reached
by a check whose figures need all its rows at once (`agreement`: Krippendorff's alpha over every item),
so that it can neither spill nor group part by part.

A row is kept while its sampling hash (an item hash) is below a threshold that halves at each shedding.
Rows sharing the sampling hash are kept or dropped together, so every item among the kept rows is whole.
The decision depends on the hash alone: the same rows are kept whenever, and on whichever worker, the
halving happens, and states merge at the lower threshold.
"""

from __future__ import annotations

from typing import Any

FULL_SHARE = 1 << 64


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
