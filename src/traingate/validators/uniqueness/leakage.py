"""Test rows that also stand in train: equal after normalisation, or sharing an LSH band with a train
row (MinHash over word shingles). State per row: row id, split tag, exact key, band keys (spilled to
disk under `--max-memory` and read back one key column at a time: leak_keys.py). Content empty in every
train and test row, fields named in `on` that hold one value in every such row, and a missing split whose
name the data holds in another case are contract problems: the check errs with a hint (leak_problems.py)."""

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
from traingate.validators.common.details import ClusterListing
from traingate.validators.common.details_parts import Cluster
from traingate.validators.common.findings import Findings
from traingate.validators.common.normalize import content_fields, row_texts
from traingate.validators.common.options import FULL_NORMALISATION, Normalisation
from traingate.validators.common.registry import check
from traingate.validators.common.shingles import shingle_sets
from traingate.validators.common.thresholds import judge
from traingate.validators.common.verify import verified_pairs
from traingate.validators.uniqueness.leak_keys import VERIFY_ALL_PAIRS_UP_TO, HeldKeys, SplitState, leak_keys
from traingate.validators.uniqueness.leak_pairs import TEST, TRAIN
from traingate.validators.uniqueness.leak_problems import leakage_problem
from traingate.validators.uniqueness.shown import describe_cluster


class SplitLeakageCheck(CheckConfig):
    summary: ClassVar[str] = "test rows that also stand in train, exactly or as near-duplicates"
    type: Literal["split_leakage"]
    train: list[str] = Field(default_factory=lambda: ["train"], description="Split names of training data.")
    test: list[str] = Field(default_factory=lambda: ["test", "validation", "eval", "dev"])
    on: list[str] | None = None
    normalize: list[Normalisation] = Field(default_factory=lambda: list(FULL_NORMALISATION))
    threshold: float | None = Field(0.8, gt=0, lt=1, description="Near-duplicate Jaccard; null for exact only.")
    shingle_size: int = Field(3, ge=1, le=32, description="Word shingle length for near-duplicates.")
    verify: bool = Field(False, description="Re-read candidate rows and keep only near pairs whose exact Jaccard passes.")
    max_verify_rows: int = Field(50_000, ge=1, description="Candidate rows beyond this are reported unverified.")


class SplitLeakageDetails(ClusterListing):
    """Pairs of a test row and a train row holding the same content (exactly, or near by MinHash)."""

    rows_by_split: dict[str, int] = Field(description="Rows per split of the data, in name order.")
    pairs: int = Field(description="(test row, train row) pairs found.")
    threshold: float | None = Field(description="The near-duplicate Jaccard threshold (null: exact matches only).")
    verified: bool = Field(description="Whether near pairs were checked by their exact Jaccard (`verify`).")
    largest_clusters: list[Cluster] = Field(description="The first pairs (at most 10), each a cluster of the test "
                                            "row and the train row.")
    cluster_sizes: dict[str, int] = Field(description="Pairs as clusters of size 2 ({'2': pairs}; empty when none).")
    clusters: int = Field(description="Pairs found (each a cluster of two rows).")


@check("split_leakage", group="uniqueness", options=SplitLeakageCheck, details=SplitLeakageDetails)
class SplitLeakageValidator(Validator[SplitLeakageCheck, SplitState], HeldKeys, LooksAgain[SplitState],
                            ListsFindings[SplitState]):

    def create_state(self) -> SplitState:
        return SplitState()

    def add_batch(self, state: SplitState, batch: BatchContext) -> SplitState:
        state.rows[batch.split] = state.rows.get(batch.split, 0) + batch.num_rows
        tag = TRAIN if batch.split in self.config.train else TEST if batch.split in self.config.test else 0
        if not tag:
            return state
        texts = row_texts(batch, content_fields(self.spec.kind, self.spec.fields, self.config.on), self.config.normalize)
        keys, has_text = leak_keys(texts, self.config.threshold, self.config.shingle_size)
        state.key.add(keys[:, 0], ~has_text)
        state.table.add(np.column_stack([batch.row_ids(np.flatnonzero(has_text)),
                                         np.full(int(has_text.sum()), tag, dtype=np.uint64), keys[has_text]]))
        state.files[batch.file_index] = (batch.file, batch.unit)
        return state

    def merge_states(self, a: SplitState, b: SplitState) -> SplitState:
        return a.merge(b)

    def pair_caps(self) -> list[int]:
        """Bucket caps whose pairs finalize reads (0: each test row to a bucket's first train row; a cap: all
        train rows of small buckets, so that verification can keep any of them)."""
        return [0, VERIFY_ALL_PAIRS_UP_TO] if self._verifies() else [0]

    def _verifies(self) -> bool:
        return self.config.verify and self.config.threshold is not None

    def problem(self, state: SplitState) -> str | None:
        """Content empty in every train and test row, or (fields named in `on`) one value in every such row;
        a split role none of whose names occurs while one differing only in case or punctuation does."""
        c = self.config
        return leakage_problem(state.key, state.rows, content_fields(self.spec.kind, self.spec.fields, c.on),
                               (c.train, c.test), c.on is not None)

    def wanted_rows(self, state: SplitState) -> list[int]:
        if self.problem(state):
            return []
        if self._verifies():
            candidates = np.unique(self.leaks(state, True))
            if len(candidates) <= self.config.max_verify_rows:
                return [int(i) for i in candidates]
        return [int(i) for pair in self.leaks(state)[:10] for i in pair]

    def finalize(self, state: SplitState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        problem = self.problem(state)
        if problem:
            return self.result(status="errored", error=problem, message=problem, rows=sum(state.rows.values()))
        leaks = self.leaks(state, self._verifies())
        verified = bool(self._verifies() and rows and len(np.unique(leaks)) <= self.config.max_verify_rows)
        if verified and rows:
            leaks = verified_pairs(leaks, rows, self.spec, self._shingles, self.config.threshold or 0.0)
        leaked = len(np.unique(leaks[:, 0]))
        if self.keeps_findings:  # each leaked test row with the first train row it stands in
            tests, first = np.unique(leaks[:, 0], return_index=True)
            state.findings = Findings((("train", "row"),), files=dict(state.files))
            state.findings.add(tests, "in_train", train=leaks[first, 1])
        test_rows = sum(n for split, n in state.rows.items() if split in self.config.test)
        verdict = judge(self.config, test_rows, leaked)
        rate = leaked / test_rows if test_rows else 0.0
        fields = content_fields(self.spec.kind, self.spec.fields, self.config.on)
        shown = [describe_cluster(pair, state.files, rows, self.spec, fields) for pair in leaks[:10]]
        splits_seen = sorted(state.rows)
        missing = [s for s in ("train", "test") if not any(x in getattr(self.config, s) for x in splits_seen)]
        message = (f"{leaked} of {test_rows} test rows also stand in train"
                   + ("" if self.config.threshold is None else " (verified)" if verified else " (near part: MinHash estimate)")
                   + (f"; no {' or '.join(missing)} split in the data (label files with split=path)" if missing else ""))
        status = "failed" if missing else verdict.status
        return self.result(status=status, metric=verdict.metric, value=verdict.value, threshold=verdict.threshold,
                           rows=test_rows, findings=leaked, rate=rate, message=message,
                           details=SplitLeakageDetails(
                               rows_by_split=dict(sorted(state.rows.items())), pairs=len(leaks),
                               threshold=self.config.threshold, verified=verified, largest_clusters=shown,
                               cluster_sizes={"2": len(leaks)} if len(leaks) else {}, clusters=len(leaks)).dump(),
                           samples=[c.members[0] for c in shown])

    def findings(self, state: SplitState) -> Iterator[dict[str, Any]]:
        return state.findings.records()

    def _shingles(self, batch: BatchContext) -> tuple[np.ndarray, np.ndarray]:
        texts = row_texts(batch, content_fields(self.spec.kind, self.spec.fields, self.config.on), self.config.normalize)
        return shingle_sets(texts, "word", self.config.shingle_size)
