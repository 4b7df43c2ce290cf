"""Near duplicates: MinHash (rensa) over shingles, LSH banding, connected components.
State per row: one uint64 row id and `bands` uint64 band keys (9 bands at 0.8: 80 bytes), spilled to
disk under `--max-memory` and read back one band at a time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from traingate.contracts.model import CheckConfig
from traingate.data.batch import BatchContext
from traingate.data.spill import Rows
from traingate.results.details import Absent
from traingate.results.model import CheckResult
from traingate.results.words import counted
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import (
    BandKeys,
    ListsFindings,
    LooksAgain,
    PairsOf,
    ShufflesBandKeys,
    SpillsRows,
)
from traingate.validators.common.details import Cluster, ClusterListing
from traingate.validators.common.findings import Findings
from traingate.validators.common.keep import (
    KEEP_DESCRIPTION,
    KeepRule,
    add_values,
    duplicate_findings,
    kept_rows,
    rule_columns,
    rule_reads,
    rule_values,
)
from traingate.validators.common.lsh import (
    band_keys,
    bucket_candidates,
    components,
    optimal_bands,
    pairs_by_band,
    signatures,
    union_pairs,
)
from traingate.validators.common.normalize import content_fields, row_texts
from traingate.validators.common.options import FULL_NORMALISATION, Normalisation
from traingate.validators.common.registry import check
from traingate.validators.common.shingles import shingle_sets
from traingate.validators.common.thresholds import judge
from traingate.validators.common.verify import verified_pairs
from traingate.validators.uniqueness.shown import describe_cluster


class _ShingleOptions(CheckConfig):
    on: list[str] | None = Field(None, description="Logical fields compared; default the kind's content fields.")
    normalize: list[Normalisation] = Field(default_factory=lambda: list(FULL_NORMALISATION))
    shingle: Literal["word", "char"] = Field("word", description="word n-grams, or character (UTF-8 byte) n-grams.")
    size: int = Field(3, ge=1, le=32, description="Shingle length in words or bytes.")


class NearDuplicatesCheck(_ShingleOptions):
    summary: ClassVar[str] = "MinHash LSH near-duplicates (Jaccard of shingles), clustered by connected components"
    type: Literal["near_duplicates"]
    threshold: float = Field(0.8, gt=0, lt=1, description="Jaccard similarity that makes two rows near-duplicates.")
    num_perm: int = Field(128, ge=16, le=512, description="MinHash permutations.")
    verify: bool = Field(False, description="Re-read candidate rows and keep only pairs whose exact Jaccard passes.")
    max_verify_rows: int = Field(50_000, ge=1, description="Candidate rows beyond this are reported unverified.")
    top_clusters: int = Field(10, ge=0, le=100)
    keep: KeepRule = Field("first", description=KEEP_DESCRIPTION)


class NearDuplicatesDetails(ClusterListing):
    """Clusters of rows whose shingle sets are near (Jaccard at or above the threshold), from MinHash LSH."""

    fields: list[str] = Field(description="Logical fields compared.")
    threshold: float = Field(description="The Jaccard similarity that makes two rows near duplicates.")
    bands: int = Field(description="LSH bands.")
    rows_per_band: int = Field(description="MinHash values per band.")
    shingle: str = Field(description="The shingles compared, e.g. 'word 3-grams'.")
    clusters: int = Field(description="Clusters of two or more linked rows (connected components).")
    duplicate_rows: int = Field(description="Rows beyond the first of each cluster.")
    verified: bool = Field(description="Whether the pairs were checked by their exact Jaccard (`verify`).")
    candidate_pairs: int = Field(description="Pairs linking rows (after verification, when verified).")
    cluster_sizes: dict[str, int] = Field(description="Clusters per size (rows in the cluster), smallest size first.")
    largest_clusters: list[Cluster] = Field(description="The largest clusters (at most `top_clusters`), largest first.")
    bytes_per_row: int = Field(description="Memory the check holds per row.")
    not_verified: Absent[str] = Field(None, description="Why `verify` was asked for and not done (too many "
                                      "candidate rows): the figures are MinHash estimates.")

VERIFY_ALL_PAIRS_UP_TO = 50


@dataclass
class BandState:
    rows: int = 0
    table: Rows = field(default_factory=Rows)  # per row: row id, then the band keys
    files: dict[int, tuple[str, str]] = field(default_factory=dict)
    pairs: dict[int, np.ndarray] | None = None  # bucket cap -> candidate pairs, when grouped elsewhere (Ray)
    findings: Findings = field(default_factory=Findings)  # every clustered row, set by finalize
    values: Rows = field(default_factory=Rows)  # row id, the keep rule's value (a rule other than first)


@check("near_duplicates", group="uniqueness", options=NearDuplicatesCheck, details=NearDuplicatesDetails)
class NearDuplicatesValidator(Validator[NearDuplicatesCheck, BandState], SpillsRows[BandState],
                              ShufflesBandKeys[BandState], LooksAgain[BandState], ListsFindings[BandState]):
    spills = "rows' keys"

    def fields(self) -> list[str]:
        return content_fields(self.spec.kind, self.spec.fields, self.config.on)

    def shingles(self, batch: BatchContext) -> tuple[np.ndarray, np.ndarray]:
        return shingle_sets(row_texts(batch, self.fields(), self.config.normalize), self.config.shingle, self.config.size)

    def columns(self) -> set[str]:
        return super().columns() | rule_columns(self.config.keep)

    def reads_columns(self) -> list[str]:
        return rule_reads(self.config.keep)

    def create_state(self) -> BandState:
        return BandState()

    def add_batch(self, state: BandState, batch: BatchContext) -> BandState:
        hashes, offsets = self.shingles(batch)
        bands, rows = optimal_bands(self.config.threshold, self.config.num_perm)
        has_text = np.diff(offsets) > 0
        keys = band_keys(signatures(hashes, offsets, self.config.num_perm), bands, rows)
        state.rows += batch.num_rows
        compared = np.flatnonzero(has_text)
        state.table.add(np.column_stack([batch.row_ids(compared), keys[has_text]]))
        add_values(state.values, batch.row_ids(compared), rule_values(self.config.keep, batch, self.fields(), compared))
        state.files[batch.file_index] = (batch.file, batch.unit)
        return state

    def merge_states(self, a: BandState, b: BandState) -> BandState:
        pairs = None
        if a.pairs is not None or b.pairs is not None:
            left, right = a.pairs or {}, b.pairs or {}
            pairs = {cap: union_pairs(left.get(cap), right.get(cap)) for cap in left.keys() | right.keys()}
        return BandState(a.rows + b.rows, a.table.merge(b.table), {**a.files, **b.files}, pairs,
                         values=a.values.merge(b.values))

    def spill(self, state: BandState) -> tuple[BandState, int]:
        """Write the band keys held in memory to disk: called when memory runs short."""
        return state, state.table.spill() + state.values.spill()

    def take_back(self, state: BandState) -> BandState:
        state.table.load()
        state.values.load()
        return state

    def bucket_pairs(self) -> PairsOf:
        return bucket_candidates

    def pair_caps(self) -> list[int]:
        """Bucket caps whose candidate pairs finalize reads (0: stars; a cap: complete small buckets)."""
        return [0, VERIFY_ALL_PAIRS_UP_TO] if self.config.verify else [0]

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
        cap = VERIFY_ALL_PAIRS_UP_TO if complete else 0
        if state.pairs is not None:
            return state.pairs.get(cap, np.zeros((0, 2), dtype=np.uint64))
        table = state.table
        return pairs_by_band(lambda band: table.column(band + 1), table.width() - 1, table.column(0), cap)

    def clusters(self, state: BandState, rows: Mapping[int, dict[str, Any]] | None = None) -> list[np.ndarray]:
        """Row ids grouped by shared LSH buckets, largest first; with `verify` and the candidate rows
        given, only pairs whose exact Jaccard reaches the threshold link rows."""
        return self._clusters(state, rows)[0]

    def _clusters(self, state: BandState, rows: Mapping[int, dict[str, Any]] | None) -> tuple[list[np.ndarray], int, bool]:
        pairs = self._pairs(state, self.config.verify)
        verified = bool(self.config.verify and rows and len(np.unique(pairs)) <= self.config.max_verify_rows)
        if verified and rows:
            pairs = verified_pairs(pairs, rows, self.spec, self.shingles, self.config.threshold)
        return components(pairs), len(pairs), verified

    def wanted_rows(self, state: BandState) -> list[int]:
        pairs = self._pairs(state, False)  # grouped once: the keys may be read back from disk
        candidates = np.unique(pairs)
        if self.config.verify and len(candidates) <= self.config.max_verify_rows:
            return [int(i) for i in candidates]
        return [int(i) for g in components(pairs)[: self.config.top_clusters] for i in g[:3]]

    def finalize(self, state: BandState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        groups, candidate_pairs, verified = self._clusters(state, rows)
        if self.keeps_findings:
            state.findings = duplicate_findings(groups, state.files, kept_rows(groups, state.values))
        duplicates = sum(len(g) - 1 for g in groups)
        verdict = judge(self.config, state.rows, duplicates)
        rate = duplicates / state.rows if state.rows else 0.0
        bands, band_rows = optimal_bands(self.config.threshold, self.config.num_perm)
        shown = [describe_cluster(g, state.files, rows, self.spec, self.fields()) for g in groups[: self.config.top_clusters]]
        details = NearDuplicatesDetails(
            fields=self.fields(), threshold=self.config.threshold, bands=bands, rows_per_band=band_rows,
            shingle=f"{self.config.shingle} {self.config.size}-grams", clusters=len(groups),
            duplicate_rows=duplicates, verified=verified, candidate_pairs=candidate_pairs,
            cluster_sizes={str(k): v for k, v in sorted(Counter(len(g) for g in groups).items())},
            largest_clusters=shown, bytes_per_row=8 * bands + 8,
            not_verified=f"more than {self.config.max_verify_rows} candidate rows; estimates only"
            if self.config.verify and not verified else None)
        message = (f"{counted(duplicates, 'near-duplicate row')} in {counted(len(groups), 'cluster')} among "
                   f"{counted(state.rows, 'row')} ({rate:.2%}), "
                   f"Jaccard >= {self.config.threshold}" + (" (verified)" if verified else " (MinHash estimate)"))
        return self.result(status=verdict.status, metric=verdict.metric, value=verdict.value, threshold=verdict.threshold,
                           rows=state.rows, findings=duplicates, rate=rate, message=message,
                           details=details.dump(), samples=[m for c in shown for m in c.members[1:2]][:20])

    def findings(self, state: BandState) -> Iterator[dict[str, Any]]:
        return state.findings.records()
