"""What split_leakage holds per row and how its rows meet: the state (row id, split tag, exact key, then
band keys), the keys of a batch's rows, and what the check does with the keys it holds: writes them to disk
under `--max-memory` (read back one key column at a time), hands them to a shuffle on Ray and takes the
pairs back, or pairs them here (leak_pairs.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from traingate.data.spill import Rows
from traingate.validators.common.capabilities import BandKeys, PairsOf, ShufflesBandKeys, SpillsRows
from traingate.validators.common.contract_problems import KeySeen
from traingate.validators.common.findings import Findings
from traingate.validators.common.lsh import band_keys, optimal_bands, signatures, union_pairs
from traingate.validators.common.normalize import hash_texts
from traingate.validators.common.shingles import shingle_sets
from traingate.validators.uniqueness.leak_pairs import bucket_leaks, leaks_by_column

NUM_PERM = 128
VERIFY_ALL_PAIRS_UP_TO = 50


@dataclass
class SplitState:
    rows: dict[str, int] = field(default_factory=dict)
    table: Rows = field(default_factory=Rows)  # per row: row id, split tag, exact key, then band keys
    files: dict[int, tuple[str, str]] = field(default_factory=dict)
    pairs: dict[int, np.ndarray] | None = None  # bucket cap -> (test, train) pairs, when grouped elsewhere (Ray)
    key: KeySeen = field(default_factory=KeySeen)  # the exact key of train and test rows
    findings: Findings = field(default_factory=Findings)  # every leaked test row, set by finalize

    def merge(self, other: SplitState) -> SplitState:
        rows = {k: self.rows.get(k, 0) + other.rows.get(k, 0) for k in self.rows.keys() | other.rows.keys()}
        pairs = None
        if self.pairs is not None or other.pairs is not None:
            left, right = self.pairs or {}, other.pairs or {}
            pairs = {cap: union_pairs(left.get(cap), right.get(cap)) for cap in left.keys() | right.keys()}
        return SplitState(rows, self.table.merge(other.table), {**self.files, **other.files}, pairs,
                          self.key.merge(other.key))


def leak_keys(texts: pa.Array, threshold: float | None, shingle_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's keys (its exact key, then, with a near-duplicate `threshold`, its LSH band keys over
    MinHash signatures of word shingles), and whether the row holds any text."""
    hashes, offsets = shingle_sets(texts, "word", shingle_size)
    exact = hash_texts(texts).reshape(-1, 1)
    keys = exact
    if threshold is not None:
        bands, rows = optimal_bands(threshold, NUM_PERM)
        keys = np.hstack([exact, band_keys(signatures(hashes, offsets, NUM_PERM), bands, rows)])
    return keys, np.diff(offsets) > 0


class HeldKeys(SpillsRows[SplitState], ShufflesBandKeys[SplitState]):
    """The keys split_leakage holds: spilled, shuffled on Ray, and paired into (test row, train row) leaks."""

    spills = "rows' keys"

    def spill(self, state: SplitState) -> tuple[SplitState, int]:
        """Write the keys held in memory to disk: called when memory runs short."""
        return state, state.table.spill()

    def take_back(self, state: SplitState) -> SplitState:
        state.table.load()
        return state

    def bucket_pairs(self) -> PairsOf:
        return bucket_leaks

    def take_band_keys(self, state: SplitState) -> tuple[SplitState, BandKeys]:
        """Exact and band keys, row ids and split tags, removed from the state (grouped elsewhere)."""
        table = state.table.table()
        state.table, state.pairs = Rows(), {}
        return state, (table[:, 2:], table[:, 0], table[:, 1].astype(np.uint8))

    def give_pairs(self, state: SplitState, pairs: dict[int, np.ndarray]) -> SplitState:
        state.pairs = pairs
        return state

    def leaks(self, state: SplitState, complete: bool = False) -> np.ndarray:
        """(m, 2) pairs (test row id, train row id) sharing the exact key or a band, sorted."""
        cap = VERIFY_ALL_PAIRS_UP_TO if complete else 0
        if state.pairs is not None:
            return state.pairs.get(cap, np.zeros((0, 2), np.uint64))
        table = state.table
        return leaks_by_column(lambda column: table.column(column + 2), table.width() - 2, table.column(0),
                               table.column(1).astype(np.uint8), cap)
