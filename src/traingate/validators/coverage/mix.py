"""Coverage and data mix: a feature's share per value against target bands, required values and a
target mix (total variation distance); diversity as distinct values, normalised entropy and distinct-n.
State: a count per feature value; distinct-n keeps the 8,192 smallest n-gram hashes (exact below that)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from traingate.contracts.model import CheckConfig, StrictModel
from traingate.data.batch import BatchContext
from traingate.results.details import Absent
from traingate.results.model import CheckResult, Threshold
from traingate.validators.common.base import Validator
from traingate.validators.common.details import ShareBand, ShareListing, ViolationList
from traingate.validators.common.features import FEATURES, feature_values
from traingate.validators.common.normalize import content_fields, row_texts
from traingate.validators.common.registry import check
from traingate.validators.common.shingles import shingle_sets


class Band(StrictModel):
    min: float | None = Field(None, ge=0, le=1, description="Smallest share of rows with this value.")
    max: float | None = Field(None, ge=0, le=1, description="Largest share of rows with this value.")


class _FeatureCheck(CheckConfig):
    feature: str = Field(description="language, output_format, length_bucket, turns, or a column name.")
    buckets: tuple[int, int] = Field((200, 1000), description="length_bucket: characters where short and medium end.")


class DistributionCheck(_FeatureCheck):
    summary: ClassVar[str] = "a feature's share per value against target bands, required values and a target mix"
    type: Literal["distribution"]
    targets: dict[str, Band] = Field(default_factory=dict, description="Value -> {min, max} share of rows.")
    required: list[str] = Field(default_factory=list, description="Values that must occur at least once.")
    mix: dict[str, float] | None = Field(None, description="Target share per value (normalised to sum 1).")
    max_divergence: float | None = Field(None, ge=0, le=1,
                                         description="Largest total variation distance from `mix`.")

    @model_validator(mode="after")
    def _something(self) -> DistributionCheck:
        if not self.targets and not self.required and self.mix is None:
            raise ValueError("distribution needs `targets`, `required` or a `mix`")
        if (self.mix is None) != (self.max_divergence is None):
            raise ValueError("`mix` and `max_divergence` go together")
        return self


class DiversityCheck(_FeatureCheck):
    summary: ClassVar[str] = "distinct values and normalised entropy of a feature; distinct-n of the text"
    type: Literal["diversity"]
    feature: str = Field("output_format", description="Feature whose values are counted.")
    min_entropy: float | None = Field(None, ge=0, le=1, description="Smallest entropy / log(distinct values).")
    min_distinct: int | None = Field(None, ge=1, description="Fewest distinct values of the feature.")
    min_distinct_1: float | None = Field(None, ge=0, le=1, description="Smallest distinct unigrams / unigrams.")
    min_distinct_2: float | None = Field(None, ge=0, le=1, description="Smallest distinct bigrams / bigrams.")


class FeatureCounts(ViolationList):
    """Rows per value of a feature, and the targets it missed."""

    feature: str = Field(description="The feature counted: a built-in feature or a column.")
    counts: dict[str, int] = Field(description="Rows per value of the feature, most frequent first.")
    violations: list[str] = Field(description="Targets missed, one sentence each (empty: every target met).")


class DistributionDetails(FeatureCounts, ShareListing):
    """A feature's share per value against its target bands, required values and target mix."""

    shares: dict[str, float] = Field(description="Share of rows per value (rows with the value / all rows).")
    targets: dict[str, ShareBand] = Field(description="The contract's target band per value.")
    mix: Absent[dict[str, float]] = Field(None, description="The target mix, normalised to sum 1 (with `mix` only).")
    divergence: Absent[float] = Field(None, description="Total variation distance between the shares and the mix "
                                      "(with `mix` only).")
    max_divergence: Absent[float] = Field(None, description="The largest distance allowed (with `mix` only).")


class DiversityDetails(FeatureCounts):
    """How varied a feature's values, and the text's words, are."""

    distinct_values: int = Field(description="Distinct values of the feature.")
    normalised_entropy: float = Field(description="Entropy of the values over log(distinct values): 1 when every "
                                      "value is as frequent, 0 for one value.")
    distinct_1: Absent[float] = Field(None, description="Distinct word unigrams / unigrams of the text (with "
                                      "`min_distinct_1` or `min_distinct_2`; estimated beyond 8,192 distinct).")
    distinct_2: Absent[float] = Field(None, description="Distinct word bigrams / bigrams of the text (with "
                                      "`min_distinct_1` or `min_distinct_2`; estimated beyond 8,192 distinct).")

SKETCH = 8192


@dataclass
class CountState:
    rows: int = 0
    values: Counter[str] = field(default_factory=Counter)
    ngrams: dict[int, tuple[int, np.ndarray]] = field(default_factory=dict)  # n -> (total, smallest hashes)


class _CountingValidator(Validator[Any, CountState]):
    def columns(self) -> set[str]:
        config: _FeatureCheck = self.config
        own = set() if config.feature in FEATURES else {config.feature.split(".")[0]}
        return super().columns() | own

    def reads(self) -> list[str]:
        """A feature drawn from the text reads the kind's text fields; a column or `file`/`split` reads none."""
        return super().reads() if self.config.feature in FEATURES and self.config.feature not in ("file", "split") else []

    def reads_columns(self) -> list[str]:
        feature: str = self.config.feature
        return [] if feature in FEATURES else [feature]

    def create_state(self) -> CountState:
        return CountState()

    def add_batch(self, state: CountState, batch: BatchContext) -> CountState:
        state.rows += batch.num_rows
        state.values.update(feature_values(batch, self.config.feature, self.config.buckets))
        return state

    def merge_states(self, a: CountState, b: CountState) -> CountState:
        ngrams = {n: _merge_sketch(a.ngrams.get(n), b.ngrams.get(n)) for n in set(a.ngrams) | set(b.ngrams)}
        return CountState(a.rows + b.rows, a.values + b.values, ngrams)

    def verdict(self, state: CountState, details: FeatureCounts, what: str) -> CheckResult:
        violations = details.violations
        message = f"{what}: " + ("; ".join(violations) if violations else "every target met")
        return self.result(status="failed" if violations else "passed", metric="targets_missed", value=len(violations),
                           threshold=Threshold(kind="none", value=0), rows=state.rows, findings=len(violations),
                           message=message, details=details.dump())


@check("distribution", group="coverage", options=DistributionCheck, details=DistributionDetails)
class DistributionValidator(_CountingValidator):

    def finalize(self, state: CountState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        config: DistributionCheck = self.config
        total = max(state.rows, 1)
        shares = {value: count / total for value, count in state.values.items()}
        violations = [f"{value!r} missing" for value in config.required if not state.values.get(value)]
        for value, band in config.targets.items():
            share = shares.get(value, 0.0)
            if (band.min is not None and share < band.min) or (band.max is not None and share > band.max):
                violations.append(f"{value!r} at {share:.1%}, outside [{band.min or 0:.0%}, {band.max or 1:.0%}]")
        mix: dict[str, float] | None = None
        divergence: float | None = None
        if config.mix is not None and config.max_divergence is not None:
            weight = sum(config.mix.values()) or 1.0
            mix = {v: w / weight for v, w in config.mix.items()}
            # fsum: exact whatever order the values were merged in (the result may not depend on the split)
            divergence = 0.5 * math.fsum(abs(shares.get(v, 0.0) - mix.get(v, 0.0)) for v in set(shares) | set(mix))
            if divergence > config.max_divergence:
                violations.append(f"total variation distance {divergence:.3f} from the mix > {config.max_divergence}")
        details = DistributionDetails(
            feature=config.feature, counts=dict(state.values.most_common()), violations=violations, shares=shares,
            targets={v: ShareBand(min=b.min, max=b.max) for v, b in config.targets.items()}, mix=mix,
            divergence=divergence, max_divergence=config.max_divergence if mix is not None else None)
        return self.verdict(state, details, f"{len(state.values)} values of {config.feature}")


@check("diversity", group="coverage", options=DiversityCheck, details=DiversityDetails)
class DiversityValidator(_CountingValidator):

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
            state.ngrams[n] = _merge_sketch(sketch, (len(kept), np.unique(small)[:SKETCH]))  # only hashes that can enter
        return state

    def finalize(self, state: CountState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        config: DiversityCheck = self.config
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


def _merge_sketch(a: tuple[int, np.ndarray] | None, b: tuple[int, np.ndarray] | None) -> tuple[int, np.ndarray]:
    """k-minimum-values sketches of two streams: totals add, the smallest SKETCH distinct hashes stay."""
    if a is None or b is None:
        return a or b or (0, np.zeros(0, np.uint64))
    return a[0] + b[0], np.union1d(a[1], b[1])[:SKETCH]


def _distinct(total: int, smallest: np.ndarray) -> float:
    """Distinct n-grams: exact while fewer than SKETCH, else (k - 1) / (k-th smallest hash / 2^64)."""
    if len(smallest) < SKETCH:
        return float(len(smallest))
    return (SKETCH - 1) / (float(smallest[-1]) / 2.0**64)


def _at_least_two_words(texts: Any) -> np.ndarray:
    """Rows whose bigram shingles are real bigrams (a one-word row gives a one-word 'shingle')."""
    from traingate.data.tokenizers import get_tokenizer

    return np.asarray(get_tokenizer("whitespace").count(texts)) >= 2
