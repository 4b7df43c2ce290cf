"""Semantic duplicates: cosine similarity of offline sentence embeddings, searched block by block.
State per row: a float16 embedding (256 dims: 512 bytes), a row id, a MinHash of its tokens (128 bytes) and its
token count: a pair with a long row must also share words (semantic_words.py); `sample` caps the rows kept, and
under `--max-memory` the cap halves (the same seeded priority chooses the rows). Under a cap only the rows
whose priority can still enter the kept set are embedded (see data/embeddings.py for how a row is
embedded in bounded memory)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from traingate.contracts.model import CheckConfig, SampleSpec
from traingate.data.batch import BatchContext
from traingate.data.embeddings import DEFAULT_MODEL, embed_rows
from traingate.data.spill import Rows
from traingate.data.token_sketch import SKETCH
from traingate.errors import require
from traingate.results.details import Absent
from traingate.results.model import CheckResult
from traingate.results.words import counted
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings, LooksAgain, ShedsRows
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
from traingate.validators.common.normalize import content_fields, row_texts
from traingate.validators.common.registry import check
from traingate.validators.common.samples import seeded_keys
from traingate.validators.common.thresholds import judge
from traingate.validators.uniqueness.semantic_groups import in_order, similar_groups
from traingate.validators.uniqueness.semantic_words import LONG_TOKENS, MIN_SHARED, shared_words
from traingate.validators.uniqueness.shown import describe_cluster

# Chosen on MRPC train pairs as the threshold of best F0.5 (precision weighted: a duplicate is dropped) for
# minilm-static; benchmarks/dedup_quality.py prints the sweep and the test figures (docs/checks/uniqueness.md).
DEFAULT_THRESHOLD = 0.73
BYTES_PER_ROW = 256 * 2 + 16 + SKETCH * 2 + 4  # vector, row id and priority, sketch, token count
MODULES = {"minilm-static": ("tokenizers",), "wordllama": ("wordllama",)}  # of the semantic extra


class SemanticDuplicatesCheck(CheckConfig):
    summary: ClassVar[str] = "rows whose sentence embeddings have cosine similarity above a threshold"
    type: Literal["semantic_duplicates"]
    on: list[str] | None = Field(None, description="Logical fields embedded; default the kind's content fields.")
    threshold: float = Field(DEFAULT_THRESHOLD, gt=0, le=1, description=(
        "Cosine similarity that makes two rows duplicates. The default suits the default model (chosen on MRPC "
        "train pairs for precision); about 0.69 gives wordllama the same precision."))
    model: Literal["minilm-static", "wordllama"] = Field(DEFAULT_MODEL, description=(
        "Offline embedding model: minilm-static (shipped with traingate, distilled from all-MiniLM-L6-v2) or "
        "wordllama (pip install 'traingate[semantic]' for either)."))
    sample: SampleSpec | None = Field(None, description="Embed a seeded sample instead of every row.")
    block_rows: int = Field(2048, ge=64, description="Rows per block of the pairwise search (memory: block_rows^2 floats).")
    top_clusters: int = Field(10, ge=0, le=100)
    keep: KeepRule = Field("first", description=KEEP_DESCRIPTION)


class SemanticDuplicatesDetails(ClusterListing):
    """Clusters of rows whose embeddings are at or above the cosine threshold (connected components)."""

    fields: list[str] = Field(description="Logical fields embedded.")
    model: str = Field(description="The embedding model.")
    threshold: float = Field(description="The cosine similarity that makes two rows duplicates.")
    embedded_rows: int = Field(description="Rows embedded and compared (all rows with text, unless sampled).")
    total_rows: int = Field(description="Rows the check saw.")
    sampled: bool = Field(description="Whether only a sample of the rows was compared (`sample`, or the memory cap).")
    memory_cap: Absent[int] = Field(None, description="Rows kept at most to stay under --max-memory (absent when "
                                    "the memory limit was not reached).")
    clusters: int = Field(description="Clusters of two or more linked rows.")
    duplicate_rows: int = Field(description="Rows beyond the first of each cluster.")
    cluster_sizes: dict[str, int] = Field(description="Clusters per size (rows in the cluster), smallest size first.")
    largest_clusters: list[Cluster] = Field(description="The largest clusters (at most `top_clusters`), largest first.")
    bytes_per_row: int = Field(description="Memory the check holds per row.")


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


def _whole(state: VectorState) -> None:
    """Each of the state's row arrays in one piece, the pieces let go (grouping reads them whole)."""
    for name in ("vectors", "ids", "sketches", "tokens", "priority"):
        pieces = getattr(state, name)
        if len(pieces) > 1:
            setattr(state, name, [np.concatenate(pieces)])


@check("semantic_duplicates", group="uniqueness", options=SemanticDuplicatesCheck,
       details=SemanticDuplicatesDetails)
class SemanticDuplicatesValidator(Validator[SemanticDuplicatesCheck, VectorState], ShedsRows[VectorState],
                                  LooksAgain[VectorState], ListsFindings[VectorState]):
    _grouped: tuple[VectorState, list[np.ndarray]] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        require(f"the semantic_duplicates check {self.check_id!r}", "semantic", MODULES[self.config.model])

    def fields(self) -> list[str]:
        return content_fields(self.spec.kind, self.spec.fields, self.config.on)

    def columns(self) -> set[str]:
        return super().columns() | rule_columns(self.config.keep)

    def reads_columns(self) -> list[str]:
        return rule_reads(self.config.keep)

    def create_state(self) -> VectorState:
        return VectorState()

    def add_batch(self, state: VectorState, batch: BatchContext) -> VectorState:
        ids = batch.row_ids(np.arange(batch.num_rows))
        texts = row_texts(batch, self.fields(), ["unicode", "whitespace"])
        keep = np.flatnonzero(np.asarray(texts.to_pylist(), dtype=object) != "")
        state.rows += batch.num_rows
        state.files[batch.file_index] = (batch.file, batch.unit)
        priority = seeded_keys(ids[keep], self.config.sample.seed if self.config.sample else 0)
        entering = self._entering(state, priority)
        keep, priority = keep[entering], priority[entering]
        add_values(state.values, ids[keep], rule_values(self.config.keep, batch, self.fields(), keep))
        if len(keep):
            embedded = embed_rows([texts[int(k)].as_py() for k in keep], self.config.model)
            state.vectors.append(embedded.vectors.astype(np.float16))
            state.sketches.append(embedded.sketches)
            state.tokens.append(np.minimum(embedded.tokens, np.iinfo(np.uint32).max).astype(np.uint32))
            state.ids.append(ids[keep])
            state.priority.append(priority)
        return self._cap(state)

    def _cap_rows(self, state: VectorState) -> int | None:
        caps = [c for c in (self.config.sample.rows if self.config.sample else None, state.memory_cap) if c is not None]
        return min(caps) if caps else None

    def _entering(self, state: VectorState, priority: np.ndarray) -> np.ndarray:
        """Positions of the rows that can still enter the kept set (the `cap` smallest priorities): only
        these are embedded, so `sample` embeds the sampled rows and not every row."""
        cap = self._cap_rows(state)
        if cap is None:
            return np.arange(len(priority))
        held = np.concatenate(state.priority) if state.priority else np.zeros(0, np.uint64)
        if len(held) >= cap:  # a row enters only below the cap-th smallest priority held
            positions = np.flatnonzero(priority < np.partition(held, cap - 1)[cap - 1])
        else:
            positions = np.arange(len(priority))
        if len(positions) > cap:
            positions = positions[np.argpartition(priority[positions], cap - 1)[:cap]]
        return np.sort(positions)

    def _cap(self, state: VectorState) -> VectorState:
        """With `sample` (or a memory cap), keep the rows of smallest priority: any split of the data keeps
        the same rows."""
        cap = self._cap_rows(state)
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

    def merge_states(self, a: VectorState, b: VectorState) -> VectorState:
        caps = [c for c in (a.memory_cap, b.memory_cap) if c is not None]
        merged = VectorState(a.rows + b.rows, a.vectors + b.vectors, a.ids + b.ids, a.sketches + b.sketches,
                             a.tokens + b.tokens, a.priority + b.priority, {**a.files, **b.files},
                             min(caps) if caps else None, values=a.values.merge(b.values))
        return self._cap(merged)

    def shed(self, state: VectorState) -> VectorState:
        """Keep half of the rows held (by the seeded priority): called when memory runs short."""
        state.memory_cap = max(1, sum(len(i) for i in state.ids) // 2)
        return self._cap(state)

    def clusters(self, state: VectorState) -> list[np.ndarray]:
        """Row ids grouped by cosine >= threshold, long rows also by shared tokens (connected components),
        largest first; computed once for wanted_rows and finalize."""
        if self._grouped is not None and self._grouped[0] is state:
            return self._grouped[1]
        groups: list[np.ndarray] = []
        if state.ids:
            _whole(state)
            ids, order = state.ids[0], np.argsort(state.ids[0], kind="stable")
            words = shared_words(state.sketches[0], state.tokens[0])
            groups = similar_groups(in_order(state.vectors[0], order), ids[order], self.config.threshold,
                                    self.config.block_rows, lambda left, right: words(order[left], order[right]))
        self._grouped = (state, groups)
        return groups

    def wanted_rows(self, state: VectorState) -> list[int]:
        return [int(i) for g in self.clusters(state)[: self.config.top_clusters] for i in g[:3]]

    def finalize(self, state: VectorState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        groups, embedded = self.clusters(state), sum(len(i) for i in state.ids)
        self._grouped = None
        if self.keeps_findings:
            state.findings = duplicate_findings(groups, state.files, kept_rows(groups, state.values))
        duplicates = sum(len(g) - 1 for g in groups)
        verdict = judge(self.config, embedded, duplicates)
        rate = duplicates / embedded if embedded else 0.0
        shown = [describe_cluster(g, state.files, rows, self.spec, self.fields()) for g in groups[: self.config.top_clusters]]
        sampled = (self.config.sample is not None or state.memory_cap is not None) and embedded < state.rows
        message = (f"{counted(duplicates, 'semantic duplicate')} in {counted(len(groups), 'cluster')} among {embedded:,} "
                   f"{'sampled ' if sampled else ''}rows ({rate:.2%}), cosine >= {self.config.threshold} (where a row "
                   f"has {LONG_TOKENS}+ tokens, also {MIN_SHARED:.0%} of the pair's distinct tokens in both rows)"
                   + (f"; rows capped at {state.memory_cap} to stay under --max-memory" if state.memory_cap else ""))
        return self.result(status=verdict.status, metric=verdict.metric, value=verdict.value, threshold=verdict.threshold,
                           rows=embedded, findings=duplicates, rate=rate, message=message,
                           details=SemanticDuplicatesDetails(
                               fields=self.fields(), model=self.config.model, threshold=self.config.threshold,
                               embedded_rows=embedded, total_rows=state.rows, sampled=sampled,
                               memory_cap=state.memory_cap or None, clusters=len(groups), duplicate_rows=duplicates,
                               cluster_sizes={str(k): v for k, v in sorted(Counter(len(g) for g in groups).items())},
                               largest_clusters=shown, bytes_per_row=BYTES_PER_ROW).dump(),
                           samples=[m for c in shown for m in c.members[1:2]][:20])

    def findings(self, state: VectorState) -> Iterator[dict[str, Any]]:
        return state.findings.records()
