"""Eval items inside the training data, by word n-gram overlap. State: only the hits
(row id, eval set, item, share: 32 bytes each); the eval indexes live in a per-process cache. What the check
reads and holds is in contamination_state.py; the eval sets' losses, its details and message in
contamination_result.py."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from traingate.contracts.model import CheckConfig, StrictModel
from traingate.data.batch import BatchContext
from traingate.errors import SourceError
from traingate.results.model import CheckResult
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings, LooksAgain
from traingate.validators.common.evalsets import EvalIndex, load_index, overlaps
from traingate.validators.common.findings import Findings
from traingate.validators.common.normalize import content_fields
from traingate.validators.common.options import FULL_NORMALISATION, Normalisation
from traingate.validators.common.registry import check
from traingate.validators.common.shingles import token_hashes
from traingate.validators.common.thresholds import judge
from traingate.validators.uniqueness.contamination_result import (
    ITEMS_SHOWN,
    ContaminationDetails,
    contamination_message,
    describe_set,
)
from traingate.validators.uniqueness.contamination_state import HitState, segments


class EvalSet(StrictModel):
    path: str = Field(description="Eval file (any format traingate reads), relative to the contract.")
    field: str = Field("question", description="Column holding the eval item's text.")
    answer_field: str | None = Field(None, description="Column appended to the item, so n-grams span both.")
    match: Literal["question_and_answer", "question", "either"] = Field(
        "question_and_answer", description="With `answer_field`: search the question and answer joined, the question "
                                           "alone (found when copied without its answer), or either.")
    name: str | None = None


class ContaminationCheck(CheckConfig):
    summary: ClassVar[str] = "rows holding an eval item: share of the item's word n-grams found in the row"
    type: Literal["contamination"]
    against: list[EvalSet] = Field(min_length=1)
    on: list[str] | None = Field(None, description="Dataset fields searched; default the kind's content fields.")
    ngram: int = Field(13, ge=1, le=64, description="Word n-gram length (a smaller n finds edited copies more often).")
    min_overlap: float = Field(0.5, gt=0, le=1, description="Share of an item's n-grams that makes a row contaminated.")
    min_words: int = Field(5, ge=1, description="Shortest item searched, in words, whatever `ngram` is (shorter ones "
                                                "are generic phrases). Items shorter than `ngram` match by their whole "
                                                "word sequence within one turn or field.")
    normalize: list[Normalisation] = Field(default_factory=lambda: list(FULL_NORMALISATION))


@check("contamination", group="uniqueness", options=ContaminationCheck, details=ContaminationDetails)
class ContaminationValidator(Validator[ContaminationCheck, HitState], LooksAgain[HitState], ListsFindings[HitState]):

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for eval_set in self.config.against:
            path = self._path(eval_set)
            if "://" not in path and not any(ch in path for ch in "*?[") and not os.path.exists(path):
                raise SourceError(f"eval set {eval_set.path!r} not found (looked at {path}); paths are relative "
                                  "to the contract's folder")

    def side_files(self) -> list[str]:
        return [self._path(eval_set) for eval_set in self.config.against]

    def _path(self, eval_set: EvalSet) -> str:
        return os.path.join(self.base_dir or ".", eval_set.path)

    def index(self, k: int) -> EvalIndex:
        s = self.config.against[k]
        return load_index(self._path(s), s.field, s.answer_field, s.match, self.config.ngram, self.config.min_words,
                          tuple(self.config.normalize), s.name or os.path.basename(s.path))

    def create_state(self) -> HitState:
        return HitState()

    def add_batch(self, state: HitState, batch: BatchContext) -> HitState:
        texts, segment_rows = segments(batch, content_fields(self.spec.kind, self.spec.fields, self.config.on),
                                       self.config.normalize)
        tokens, offsets = token_hashes(texts, "word")
        for k in range(len(self.config.against)):
            rows, items, share = overlaps(self.index(k), tokens, offsets, segment_rows, batch.num_rows)
            keep = share >= self.config.min_overlap
            if keep.any():
                ids = batch.row_ids(rows[keep]).astype(np.int64)
                state.hits.append(np.stack([ids, np.full(keep.sum(), k), items[keep],
                                            np.round(share[keep] * 1e6).astype(np.int64)], axis=1))
        state.rows += batch.num_rows
        state.files[batch.file_index] = (batch.file, batch.unit)
        return state

    def merge_states(self, a: HitState, b: HitState) -> HitState:
        return a.merge(b)

    def wanted_rows(self, state: HitState) -> list[int]:
        return [int(h[0]) for h in state.sorted_hits()[: ITEMS_SHOWN * 2]]

    def finalize(self, state: HitState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        hits = state.sorted_hits()
        contaminated = len(np.unique(hits[:, 0]))
        verdict = judge(self.config, state.rows, contaminated)
        rate = contaminated / state.rows if state.rows else 0.0
        fields = content_fields(self.spec.kind, self.spec.fields, self.config.on)
        sets = [describe_set(self.index(k), hits[hits[:, 1] == k], state.files, rows, self.spec, fields)
                for k in range(len(self.config.against))]
        message = contamination_message(self.config, contaminated, state.rows, sets)
        samples = [m for s in sets for item in s.leaked for m in item.rows[:1]][:20]
        details = ContaminationDetails(ngram=self.config.ngram, min_overlap=self.config.min_overlap, eval_sets=sets,
                                       bytes_per_hit=32)
        return self.result(status=verdict.status, metric=verdict.metric, value=verdict.value, threshold=verdict.threshold,
                           rows=state.rows, findings=contaminated, rate=rate, message=message,
                           details=details.dump(), samples=samples)

    def findings(self, state: HitState) -> Iterator[dict[str, Any]]:
        """Each row holding an item of an eval set, once per set (reason eval_item:<set>): the item of
        largest share, its place and line in the eval file, and the share."""
        hits = state.sorted_hits()
        found = Findings((("item", "int"), ("item_line", "int"), ("share", "float")), files=dict(state.files))
        for k in range(len(self.config.against)):
            mine = hits[hits[:, 1] == k]
            mine = mine[np.lexsort((-mine[:, 3], mine[:, 0]))]  # by row, the largest share first
            rows, first = np.unique(mine[:, 0], return_index=True)
            index, items = self.index(k), mine[first, 2]
            found.add(rows, f"eval_item:{index.name}", item=items, item_line=index.lines[items],
                      share=mine[first, 3] / 1e6)
        return found.records()
