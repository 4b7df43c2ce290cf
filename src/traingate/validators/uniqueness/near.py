"""Near duplicates: MinHash (rensa) over shingles, LSH banding, connected components. What the check holds
per row (a row id and its band keys, spilled to disk under `--max-memory`) and how its rows are paired is in
near_state.py; its details and message in near_result.py."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from traingate.contracts.model import CheckConfig
from traingate.data.batch import BatchContext
from traingate.results.model import CheckResult
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings, LooksAgain
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
from traingate.validators.common.lsh import band_keys, components, optimal_bands, signatures
from traingate.validators.common.normalize import content_fields, row_texts
from traingate.validators.common.options import FULL_NORMALISATION, Normalisation
from traingate.validators.common.registry import check
from traingate.validators.common.shingles import shingle_sets
from traingate.validators.common.thresholds import judge
from traingate.validators.common.verify import verified_pairs
from traingate.validators.uniqueness.near_result import NearDuplicatesDetails, near_details, near_message
from traingate.validators.uniqueness.near_state import VERIFY_ALL_PAIRS_UP_TO, BandState, HeldBands
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


@check("near_duplicates", group="uniqueness", options=NearDuplicatesCheck, details=NearDuplicatesDetails)
class NearDuplicatesValidator(Validator[NearDuplicatesCheck, BandState], HeldBands, LooksAgain[BandState],
                              ListsFindings[BandState]):
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
        return a.merge(b)

    def pair_caps(self) -> list[int]:
        """Bucket caps whose candidate pairs finalize reads (0: stars; a cap: complete small buckets)."""
        return [0, VERIFY_ALL_PAIRS_UP_TO] if self.config.verify else [0]

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
        shown = [describe_cluster(g, state.files, rows, self.spec, self.fields()) for g in groups[: self.config.top_clusters]]
        details = near_details(self.config, self.fields(), groups, candidate_pairs, verified, shown)
        return self.result(status=verdict.status, metric=verdict.metric, value=verdict.value, threshold=verdict.threshold,
                           rows=state.rows, findings=duplicates, rate=rate, message=near_message(details, state.rows),
                           details=details.dump(), samples=[m for c in shown for m in c.members[1:2]][:20])

    def findings(self, state: BandState) -> Iterator[dict[str, Any]]:
        return state.findings.records()
