"""What near_duplicates holds per row and how its rows meet: the state (one uint64 row id and `bands` uint64
band keys, 9 bands at 0.8: 80 bytes, beside the keep rule's values), and what the check does with the keys it
holds: writes them to disk under `--max-memory` (read back one band at a time), hands them to a shuffle on Ray
and takes the candidate pairs back, or pairs them here, band by band (common/lsh.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from traingate.data.spill import Rows
from traingate.validators.common.capabilities import BandKeys, PairsOf, ShufflesBandKeys, SpillsRows
from traingate.validators.common.findings import Findings
from traingate.validators.common.lsh import bucket_candidates, pairs_by_band, union_pairs

VERIFY_ALL_PAIRS_UP_TO = 50


@dataclass
class BandState:
    rows: int = 0
    table: Rows = field(default_factory=Rows)  # per row: row id, then the band keys
    files: dict[int, tuple[str, str]] = field(default_factory=dict)
    pairs: dict[int, np.ndarray] | None = None  # bucket cap -> candidate pairs, when grouped elsewhere (Ray)
    findings: Findings = field(default_factory=Findings)  # every clustered row, set by finalize
    values: Rows = field(default_factory=Rows)  # row id, the keep rule's value (a rule other than first)

    def merge(self, other: BandState) -> BandState:
        pairs = None
        if self.pairs is not None or other.pairs is not None:
            left, right = self.pairs or {}, other.pairs or {}
            pairs = {cap: union_pairs(left.get(cap), right.get(cap)) for cap in left.keys() | right.keys()}
        return BandState(self.rows + other.rows, self.table.merge(other.table), {**self.files, **other.files}, pairs,
                         values=self.values.merge(other.values))


class HeldBands(SpillsRows[BandState], ShufflesBandKeys[BandState]):
    """The band keys near_duplicates holds: spilled, shuffled on Ray, and paired into candidate pairs."""

    spills = "rows' keys"

    def spill(self, state: BandState) -> tuple[BandState, int]:
        """Write the band keys held in memory to disk: called when memory runs short."""
        return state, state.table.spill() + state.values.spill()

    def take_back(self, state: BandState) -> BandState:
        state.table.load()
        state.values.load()
        return state

    def bucket_pairs(self) -> PairsOf:
        return bucket_candidates

    def take_band_keys(self, state: BandState) -> tuple[BandState, BandKeys]:
        """The state's band keys and row ids, removed from it: they are grouped by key elsewhere and only
        candidate pairs come back (`give_pairs`)."""
        table = state.table.table()
        state.table, state.pairs = Rows(), {}
        return state, (table[:, 1:], table[:, 0], np.zeros(len(table), np.uint8))

    def give_pairs(self, state: BandState, pairs: dict[int, np.ndarray]) -> BandState:
        state.pairs = pairs
        return state

    def _pairs(self, state: BandState, complete: bool) -> np.ndarray:
        """(m, 2) pairs of row ids sharing a band key: each bucket linked as a star on its first row, or with
        `complete` every pair of a bucket of at most VERIFY_ALL_PAIRS_UP_TO rows (for verification)."""
        cap = VERIFY_ALL_PAIRS_UP_TO if complete else 0
        if state.pairs is not None:
            return state.pairs.get(cap, np.zeros((0, 2), dtype=np.uint64))
        table = state.table
        return pairs_by_band(lambda band: table.column(band + 1), table.width() - 1, table.column(0), cap)
