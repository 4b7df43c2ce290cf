"""Diversity: enough distinct values of a feature, and enough distinct unigrams and bigrams of the text
(distinct-n, estimated from a bottom-k sketch of hashes beyond 8,192 distinct). A feature empty in every
row is a contract problem (the check errs with a hint); one value in every row is a finding."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from traingate.data.batch import BatchContext
from traingate.results.details import Absent
from traingate.results.model import CheckResult
from traingate.validators.common.normalize import content_fields, row_texts
from traingate.validators.common.registry import check
from traingate.validators.common.shingles import shingle_sets
from traingate.validators.coverage.counting import (
    SKETCH,
    CountingValidator,
    CountState,
    FeatureCheck,
    FeatureCounts,
    merge_sketch,
)


class DiversityCheck(FeatureCheck):
    summary: ClassVar[str] = "distinct values and normalised entropy of a feature; distinct-n of the text"
    type: Literal["diversity"]
    feature: str = Field("output_format", description="Feature whose values are counted.")
    min_entropy: float | None = Field(None, ge=0, le=1, description="Smallest entropy / log(distinct values).")
    min_distinct: int | None = Field(None, ge=1, description="Fewest distinct values of the feature.")
    min_distinct_1: float | None = Field(None, ge=0, le=1, description="Smallest distinct unigrams / unigrams.")
    min_distinct_2: float | None = Field(None, ge=0, le=1, description="Smallest distinct bigrams / bigrams.")


class DiversityDetails(FeatureCounts):
    """How varied a feature's values, and the text's words, are."""

    distinct_values: int = Field(description="Distinct values of the feature.")
    normalised_entropy: float = Field(description="Entropy of the values over log(distinct values): 1 when every "
                                      "value is as frequent, 0 for one value.")
    distinct_1: Absent[float] = Field(None, description="Distinct word unigrams / unigrams of the text (with "
                                      "`min_distinct_1` or `min_distinct_2`; estimated beyond 8,192 distinct).")
    distinct_2: Absent[float] = Field(None, description="Distinct word bigrams / bigrams of the text (with "
                                      "`min_distinct_1` or `min_distinct_2`; estimated beyond 8,192 distinct).")


@check("diversity", group="coverage", options=DiversityCheck, details=DiversityDetails)
class DiversityValidator(CountingValidator):

    def reads(self) -> list[str]:
        distinct_n = self.config.min_distinct_1 is not None or self.config.min_distinct_2 is not None
        return content_fields(self.spec.kind, self.spec.fields, None) if distinct_n else super().reads()

    def add_batch(self, state: CountState, batch: BatchContext) -> CountState:
        super().add_batch(state, batch)
        if self.config.min_distinct_1 is None and self.config.min_distinct_2 is None:
            return state
        texts = row_texts(batch, content_fields(self.spec.kind, self.spec.fields, None), ["unicode", "case", "whitespace"])
        for n in (1, 2):
            hashes, offsets = shingle_sets(texts, "word", n)
            full = np.diff(offsets) > 0 if n == 1 else _at_least_two_words(texts)
            kept = hashes[np.repeat(full, np.diff(offsets))]
            sketch = state.ngrams.get(n)
            small = kept[kept <= sketch[1][-1]] if sketch is not None and len(sketch[1]) >= SKETCH else kept
            state.ngrams[n] = merge_sketch(sketch, (len(kept), np.unique(small)[:SKETCH]))  # only hashes that can enter
        return state

    def finalize(self, state: CountState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        config: DiversityCheck = self.config
        problem = self.problem(state)
        if problem:
            return self.errored(state, problem)
        distinct = len(state.values)
        total = sum(state.values.values())
        entropy = -math.fsum(c / total * math.log(c / total) for c in state.values.values()) if total else 0.0
        normalised = entropy / math.log(distinct) if distinct > 1 else 0.0
        figures = {"distinct_values": distinct, "normalised_entropy": normalised}
        figures.update({f"distinct_{n}": _distinct(*sketch) / max(sketch[0], 1) for n, sketch in state.ngrams.items()})
        minimums = {"normalised_entropy": config.min_entropy, "distinct_values": config.min_distinct,
                    "distinct_1": config.min_distinct_1, "distinct_2": config.min_distinct_2}
        violations = [f"{name} {figures[name]:.3g} < {low}" for name, low in minimums.items()
                      if low is not None and name in figures and figures[name] < low]
        details = DiversityDetails(feature=config.feature, counts=dict(state.values.most_common()), violations=violations,
                                   distinct_values=distinct, normalised_entropy=normalised,
                                   distinct_1=figures.get("distinct_1"), distinct_2=figures.get("distinct_2"))
        return self.verdict(state, details, f"{distinct} values of {config.feature}, normalised entropy {normalised:.3f}")


def _distinct(total: int, smallest: np.ndarray) -> float:
    """Distinct n-grams: exact while fewer than SKETCH, else (k - 1) / (k-th smallest hash / 2^64)."""
    if len(smallest) < SKETCH:
        return float(len(smallest))
    return (SKETCH - 1) / (float(smallest[-1]) / 2.0**64)


def _at_least_two_words(texts: Any) -> np.ndarray:
    """Rows whose bigram shingles are real bigrams (a one-word row gives a one-word 'shingle')."""
    from traingate.data.tokenizers import get_tokenizer

    return np.asarray(get_tokenizer("whitespace").count(texts)) >= 2
