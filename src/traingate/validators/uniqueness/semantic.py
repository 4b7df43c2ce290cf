"""Semantic duplicates: cosine similarity of offline sentence embeddings, searched block by block
(semantic_groups.py); a pair with a long row must also share words (semantic_words.py). What the check holds
per row, and how `sample` and `--max-memory` cap the rows kept, is in semantic_state.py; its details and
message in semantic_result.py (see data/embeddings.py for how a row is embedded in bounded memory)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from traingate.contracts.model import CheckConfig, SampleSpec
from traingate.data.batch import BatchContext
from traingate.data.embeddings import DEFAULT_MODEL, embed_rows
from traingate.errors import require
from traingate.results.model import CheckResult
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings, LooksAgain, ShedsRows
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
from traingate.validators.uniqueness.semantic_result import SemanticDuplicatesDetails, semantic_details, semantic_message
from traingate.validators.uniqueness.semantic_state import VectorState, cap_rows, capped, entering, whole
from traingate.validators.uniqueness.semantic_words import shared_words
from traingate.validators.uniqueness.shown import describe_cluster

# Chosen on MRPC train pairs as the threshold of best F0.5 (precision weighted: a duplicate is dropped) for
# minilm-static; benchmarks/dedup_quality.py prints the sweep and the test figures (docs/checks/uniqueness.md).
DEFAULT_THRESHOLD = 0.73
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
        enter = entering(state, priority, cap_rows(state, self.config.sample))
        keep, priority = keep[enter], priority[enter]
        add_values(state.values, ids[keep], rule_values(self.config.keep, batch, self.fields(), keep))
        if len(keep):
            embedded = embed_rows([texts[int(k)].as_py() for k in keep], self.config.model)
            state.vectors.append(embedded.vectors.astype(np.float16))
            state.sketches.append(embedded.sketches)
            state.tokens.append(np.minimum(embedded.tokens, np.iinfo(np.uint32).max).astype(np.uint32))
            state.ids.append(ids[keep])
            state.priority.append(priority)
        return self._cap(state)

    def _cap(self, state: VectorState) -> VectorState:
        return capped(state, cap_rows(state, self.config.sample))

    def merge_states(self, a: VectorState, b: VectorState) -> VectorState:
        return self._cap(a.merge(b))

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
            whole(state)
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
        details = semantic_details(self.config, self.fields(), state, groups, shown)
        return self.result(status=verdict.status, metric=verdict.metric, value=verdict.value, threshold=verdict.threshold,
                           rows=embedded, findings=duplicates, rate=rate, message=semantic_message(details),
                           details=details.dump(), samples=[m for c in shown for m in c.members[1:2]][:20])

    def findings(self, state: VectorState) -> Iterator[dict[str, Any]]:
        return state.findings.records()
