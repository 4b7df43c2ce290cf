"""What semantic_duplicates holds per row: a float16 embedding (256 dims: 512 bytes), a row id and its seeded
priority, a MinHash of its tokens (128 bytes) and its token count (a pair with a long row must also share
words: semantic_words.py), in the pieces batches added. `sample` caps the rows kept, and under `--max-memory`
the cap halves: the rows of smallest priority are kept, so any split of the data keeps the same rows, and
under a cap only the rows whose priority can still enter the kept set are embedded."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from traingate.contracts.model import SampleSpec
from traingate.data.spill import Rows
from traingate.data.token_sketch import SKETCH
from traingate.validators.common.findings import Findings

BYTES_PER_ROW = 256 * 2 + 16 + SKETCH * 2 + 4  # vector, row id and priority, sketch, token count


@dataclass
class VectorState:
    rows: int = 0
    vectors: list[np.ndarray] = field(default_factory=list)
    ids: list[np.ndarray] = field(default_factory=list)
    sketches: list[np.ndarray] = field(default_factory=list)  # uint16 (rows, SKETCH), beside vectors
    tokens: list[np.ndarray] = field(default_factory=list)  # uint32 token count of each row
    priority: list[np.ndarray] = field(default_factory=list)
    files: dict[int, tuple[str, str]] = field(default_factory=dict)
    memory_cap: int | None = None  # rows kept at most, set when the run's memory limit was reached
    findings: Findings = field(default_factory=Findings)  # every clustered row, set by finalize
    values: Rows = field(default_factory=Rows)  # row id, the keep rule's value (a rule other than first)

    def merge(self, other: VectorState) -> VectorState:
        """Both states' rows, uncapped (the check caps them), under the smaller memory cap."""
        caps = [c for c in (self.memory_cap, other.memory_cap) if c is not None]
        return VectorState(self.rows + other.rows, self.vectors + other.vectors, self.ids + other.ids,
                           self.sketches + other.sketches, self.tokens + other.tokens, self.priority + other.priority,
                           {**self.files, **other.files}, min(caps) if caps else None,
                           values=self.values.merge(other.values))


def whole(state: VectorState) -> None:
    """Each of the state's row arrays in one piece, the pieces let go (grouping reads them whole)."""
    for name in ("vectors", "ids", "sketches", "tokens", "priority"):
        pieces = getattr(state, name)
        if len(pieces) > 1:
            setattr(state, name, [np.concatenate(pieces)])


def cap_rows(state: VectorState, sample: SampleSpec | None) -> int | None:
    """The rows kept at most: the sample's, or the memory cap, whichever is smaller (None: every row)."""
    caps = [c for c in (sample.rows if sample else None, state.memory_cap) if c is not None]
    return min(caps) if caps else None


def entering(state: VectorState, priority: np.ndarray, cap: int | None) -> np.ndarray:
    """Positions of the rows that can still enter the kept set (the `cap` smallest priorities): only
    these are embedded, so `sample` embeds the sampled rows and not every row."""
    if cap is None:
        return np.arange(len(priority))
    held = np.concatenate(state.priority) if state.priority else np.zeros(0, np.uint64)
    # a row enters only below the cap-th smallest priority held
    positions = (np.flatnonzero(priority < np.partition(held, cap - 1)[cap - 1]) if len(held) >= cap
                 else np.arange(len(priority)))
    if len(positions) > cap:
        positions = positions[np.argpartition(priority[positions], cap - 1)[:cap]]
    return np.sort(positions)


def capped(state: VectorState, cap: int | None) -> VectorState:
    """With `sample` (or a memory cap), keep the rows of smallest priority: any split of the data keeps
    the same rows."""
    if cap is None or not state.ids:
        return state
    priority = np.concatenate(state.priority)
    if len(priority) <= cap:
        return state
    keep = np.sort(np.argpartition(priority, cap - 1)[:cap])
    state.vectors = [np.concatenate(state.vectors)[keep]]
    state.sketches, state.tokens = [np.concatenate(state.sketches)[keep]], [np.concatenate(state.tokens)[keep]]
    state.ids, state.priority = [np.concatenate(state.ids)[keep]], [priority[keep]]
    return state
