"""Capped, reproducible samples: keep the k rows with the smallest seeded hash of their identity.
Merging two reservoirs keeps the k smallest of both, so any split of the data gives the same sample."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from traingate.contracts.regexes import compile_re2
from traingate.data.masking import window

SAMPLE_CAP = 20
EXCERPT_CHARS = 300
SEED = np.uint64(0x9E3779B97F4A7C15)


def row_keys(row_ids: np.ndarray) -> np.ndarray:
    """splitmix64 of each row id: a fixed pseudo-random order of rows."""
    with np.errstate(over="ignore"):
        z = row_ids.astype(np.uint64) + SEED
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def seeded_keys(row_ids: np.ndarray, seed: int) -> np.ndarray:
    """The rows' order under `seed`: the seed is hashed before it meets the row hash, so two seeds give
    independent orders (XOR-ing the seed into the row id made seed s pick rows id ^ s, the neighbours of
    seed 0's rows). Seed 0 keeps `row_keys`, the order every unseeded sample of failing rows uses."""
    if seed == 0:
        return row_keys(row_ids)
    salt = row_keys(np.array([seed % 2**64], dtype=np.uint64))[0]
    return row_keys(row_keys(row_ids) ^ salt)


@dataclass
class Reservoir:
    cap: int = SAMPLE_CAP
    items: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    first: tuple[int, dict[str, Any]] | None = None  # the failing row of smallest row id: first in data order

    def note_first(self, row_id: int, location: Callable[[], dict[str, Any]]) -> None:
        """Keep the location (file, line, unit) of the failing row with the smallest row id seen."""
        if self.first is None or row_id < self.first[0]:
            self.first = (row_id, location())

    def threshold(self) -> int | None:
        return self.items[-1][0] if len(self.items) >= self.cap else None

    def candidates(self, keys: np.ndarray) -> np.ndarray:
        """Positions (into keys) that could enter the reservoir, smallest first, at most `cap`."""
        limit = self.threshold()
        positions = np.flatnonzero(keys < np.uint64(limit)) if limit is not None else np.arange(len(keys))
        if len(positions) > self.cap:
            positions = positions[np.argpartition(keys[positions], self.cap)[: self.cap]]
        return positions[np.argsort(keys[positions], kind="stable")]

    def add(self, key: int, sample: dict[str, Any]) -> None:
        self.items.append((key, sample))
        self.items.sort(key=lambda item: item[0])
        del self.items[self.cap:]

    def offer(self, key: int, make: Callable[[], dict[str, Any]]) -> None:
        """Add the sample `make` builds when its key would enter the reservoir (built only then)."""
        limit = self.threshold()
        if limit is None or key < limit:
            self.add(key, make())

    def merge(self, other: Reservoir) -> Reservoir:
        merged = sorted(self.items + other.items, key=lambda item: item[0])
        firsts = [f for f in (self.first, other.first) if f is not None]
        return Reservoir(self.cap, merged[: self.cap], min(firsts, key=lambda f: f[0]) if firsts else None)

    def first_location(self) -> dict[str, Any] | None:
        return None if self.first is None else self.first[1]

    def samples(self) -> list[dict[str, Any]]:
        return [sample for _, sample in self.items]


def excerpt_around(text: str, pattern: str | None) -> tuple[str, tuple[int, int] | None]:
    """A window of the text around the first match of `pattern`, with the match's span in the window."""
    match = compile_re2(pattern).search(text) if pattern else None  # the check's own (RE2) pattern: linear time
    if match is None:
        return (text if len(text) <= EXCERPT_CHARS else window(text, 0, EXCERPT_CHARS - 1)), None
    start = max(0, match.start() - EXCERPT_CHARS // 3)
    shown = window(text, start, start + EXCERPT_CHARS)  # each cut marked, for masking (data/masking.py)
    at = match.start() - start + (start > 0)
    return shown, (at, max(at, min(match.end(), start + EXCERPT_CHARS) - start + (start > 0)))
