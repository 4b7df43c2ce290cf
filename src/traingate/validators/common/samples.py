"""Capped, reproducible samples: keep the k rows with the smallest seeded hash of their identity, and for each
reason the row of smallest hash holding it. Merging two reservoirs keeps the k smallest of both and the smaller
row of each reason, so any split of the data gives the same sample."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from traingate.contracts.regexes import compile_re2
from traingate.data.masking import window

SAMPLE_CAP = 20
REASONS_KEPT = 64  # reasons that keep a sample of their own; past them a reason shows only by chance
EXCERPT_CHARS = 300
SEED = 0x9E3779B97F4A7C15  # a Python int: importing this module reads nothing of numpy (cli/deferred.py)


def row_keys(row_ids: np.ndarray) -> np.ndarray:
    """splitmix64 of each row id: a fixed pseudo-random order of rows."""
    with np.errstate(over="ignore"):
        z = row_ids.astype(np.uint64) + np.uint64(SEED)
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
    """The failing rows a check shows: the `cap` rows of smallest key (`items`), and for each reason the row of
    smallest key holding it (`reasons`), so a reason found in one row of millions still shows. At most
    REASONS_KEPT reasons are kept, those whose first row comes first in key order (reason names break ties);
    a reason past them shows only if one of its rows is among `items`."""

    cap: int = SAMPLE_CAP
    items: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    first: tuple[int, dict[str, Any]] | None = None  # the failing row of smallest row id: first in data order
    reasons: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)

    def note_first(self, row_id: int, location: Callable[[], dict[str, Any]]) -> None:
        """Keep the location (file, line, unit) of the failing row with the smallest row id seen."""
        if self.first is None or row_id < self.first[0]:
            self.first = (row_id, location())

    def threshold(self) -> int | None:
        return self.items[-1][0] if len(self.items) >= self.cap else None

    def wants(self, key: int, reason: str) -> bool:
        """Whether a row of this key would become the sample of `reason`."""
        held = self.reasons.get(reason)
        if held is not None:
            return key < held[0]
        return len(self.reasons) < REASONS_KEPT or (key, reason) < max(_order(self.reasons))

    def candidates(self, keys: np.ndarray, reason: str | None = None) -> np.ndarray:
        """Positions (into keys) that could enter the reservoir, smallest first: at most `cap` for `items`, and
        the smallest key when it would become the sample of `reason`."""
        limit = self.threshold()
        positions = np.flatnonzero(keys < np.uint64(limit)) if limit is not None else np.arange(len(keys))
        if len(positions) > self.cap:
            positions = positions[np.argpartition(keys[positions], self.cap)[: self.cap]]
        if reason is not None and len(keys):
            least = int(np.argmin(keys))
            if least not in positions and self.wants(int(keys[least]), reason):
                positions = np.append(positions, least)
        return positions[np.argsort(keys[positions], kind="stable")]

    def add(self, key: int, sample: dict[str, Any]) -> None:
        """Offer a row's sample to `items` and as the sample of its reason (`sample['reason']`)."""
        self.items.append((key, sample))
        self.items.sort(key=lambda item: item[0])
        del self.items[self.cap:]
        self.add_reason(key, sample)

    def add_reason(self, key: int, sample: dict[str, Any]) -> None:
        """Offer a row's sample as the sample of its reason only: another reason of a row already offered."""
        reason = sample["reason"]
        if self.wants(key, reason):
            self.reasons[reason] = (key, sample)
            if len(self.reasons) > REASONS_KEPT:
                del self.reasons[max(_order(self.reasons))[1]]

    def offer(self, key: int, reason: str, make: Callable[[], dict[str, Any]], *, row: bool = True) -> None:
        """Add the sample `make` builds when its key would enter the reservoir (built only then); with
        row=False, only as the sample of `reason` (the row was offered already, under another reason)."""
        limit = self.threshold()
        if row and (limit is None or key < limit):
            self.add(key, make())
        elif self.wants(key, reason):
            self.add_reason(key, make())

    def merge(self, other: Reservoir) -> Reservoir:
        merged = sorted(self.items + other.items, key=lambda item: item[0])
        firsts = [f for f in (self.first, other.first) if f is not None]
        reasons = dict(self.reasons)
        for reason, held in other.reasons.items():
            if reason not in reasons or held[0] < reasons[reason][0]:
                reasons[reason] = held
        kept = sorted(_order(reasons))[:REASONS_KEPT]
        return Reservoir(self.cap, merged[: self.cap], min(firsts, key=lambda f: f[0]) if firsts else None,
                         {reason: reasons[reason] for _, reason in kept})

    def copy(self) -> Reservoir:
        return Reservoir(self.cap, list(self.items), self.first, dict(self.reasons))

    def first_location(self) -> dict[str, Any] | None:
        return None if self.first is None else self.first[1]

    def samples(self) -> list[dict[str, Any]]:
        """One sample per reason kept, then the rows of smallest key up to `cap` samples in all (or as many as
        there are reasons, when more than `cap`), ordered by key."""
        chosen = {(key, reason): sample for reason, (key, sample) in self.reasons.items()}
        room = max(self.cap, len(chosen))
        for key, sample in self.items:
            if len(chosen) >= room:
                break
            chosen.setdefault((key, sample["reason"]), sample)
        return [chosen[at] for at in sorted(chosen)]


def _order(reasons: dict[str, tuple[int, dict[str, Any]]]) -> list[tuple[int, str]]:
    return [(key, reason) for reason, (key, _) in reasons.items()]


def excerpt_around(text: str, pattern: str | None) -> tuple[str, tuple[int, int] | None]:
    """A window of the text around the first match of `pattern`, with the match's span in the window. A group
    named `at` narrows the span to itself when it took part in the match: `\\S(?P<at> {4,})` marks the
    spaces, not the character before them."""
    regex = compile_re2(pattern) if pattern else None  # the check's own (RE2) pattern: linear time
    match = regex.search(text) if regex is not None else None
    if regex is None or match is None:
        return (text if len(text) <= EXCERPT_CHARS else window(text, 0, EXCERPT_CHARS - 1)), None
    group = regex.groupindex.get("at")
    first, last = match.span(group) if group is not None and match.start(group) >= 0 else match.span()
    start = max(0, first - EXCERPT_CHARS // 3)
    shown = window(text, start, start + EXCERPT_CHARS)  # each cut marked, for masking (data/masking.py)
    at = first - start + (start > 0)
    return shown, (at, max(at, min(last, start + EXCERPT_CHARS) - start + (start > 0)))
