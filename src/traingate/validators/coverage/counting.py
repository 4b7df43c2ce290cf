"""The counting both coverage checks share (distribution in mix.py, diversity in diversity.py): a count
per feature value; distinct-n keeps the 8,192 smallest n-gram hashes (exact below that). A feature empty in
every row is a contract problem: the check errs with a hint."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import Field, model_validator

from traingate.contracts.model import CheckConfig
from traingate.data.batch import BatchContext
from traingate.errors import require
from traingate.results.model import CheckResult, Threshold
from traingate.validators.common.base import Validator
from traingate.validators.common.contract_problems import KeySeen
from traingate.validators.common.details import ViolationList
from traingate.validators.common.features import FEATURES, ZERO_SHOT, feature_values
from traingate.validators.common.topics import NO_TEXT, OTHER, ZeroShot, classifies


class FeatureCheck(CheckConfig):
    feature: str = Field(description="language, output_format, length_bucket, turns, topic, task_type, or a column name.")
    buckets: tuple[int, int] = Field((200, 1000), description="length_bucket: characters where short and medium end.")
    labels: dict[str, str | list[str]] | None = Field(
        None, description="topic, task_type: label -> description (a phrase or a list of phrases), replacing the "
        "default labels.")
    model: str | None = Field(None, description="topic, task_type: the embedding model (default: wordllama, the "
                              "one the default labels were tuned on; pip install 'traingate[semantic]').")
    min_similarity: float | None = Field(None, ge=-1, le=1, description="topic, task_type: similarity to the nearest "
                                         "label under which a row is `other` (default 0.05).")

    @model_validator(mode="after")
    def _zero_shot_options(self) -> FeatureCheck:
        given = [k for k in ("labels", "model", "min_similarity") if getattr(self, k) is not None]
        if given and self.feature not in ZERO_SHOT:
            raise ValueError(f"{', '.join(given)} apply to the features topic and task_type, not {self.feature!r}")
        for name, phrases in (self.labels or {}).items():
            if name in (OTHER, NO_TEXT) or not name.strip():
                raise ValueError(f"label {name!r} is reserved or empty (a row nearest no label is {OTHER!r})")
            listed = [phrases] if isinstance(phrases, str) else phrases
            if not listed or not all(p.strip() for p in listed):
                raise ValueError(f"label {name!r} needs a description: a phrase or a list of phrases")
        if self.labels is not None and len(self.labels) < 2:
            raise ValueError("`labels` needs at least two labels")
        return self

    def zero_shot(self) -> ZeroShot | None:
        if self.feature not in ZERO_SHOT:
            return None
        return ZeroShot(self.feature, self.labels, self.model, self.min_similarity)


class FeatureCounts(ViolationList):
    """Rows per value of a feature, and the targets it missed."""

    feature: str = Field(description="The feature counted: a built-in feature or a column.")
    counts: dict[str, int] = Field(description="Rows per value of the feature, most frequent first.")
    violations: list[str] = Field(description="Targets missed, one sentence each (empty: every target met).")


SKETCH = 8192


@dataclass
class CountState:
    rows: int = 0
    values: Counter[str] = field(default_factory=Counter)
    ngrams: dict[int, tuple[int, np.ndarray]] = field(default_factory=dict)  # n -> (total, smallest hashes)
    column_seen: bool = False  # topic, task_type: a batch held a column of that name (it is the feature then)


class CountingValidator(Validator[Any, CountState]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.config.feature in ZERO_SHOT:
            require(f"the feature {self.config.feature!r} of the check {self.check_id!r}", "semantic")

    def columns(self) -> set[str]:
        config: FeatureCheck = self.config
        own = set() if config.feature in FEATURES and config.feature not in ZERO_SHOT else {config.feature.split(".")[0]}
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
        config: FeatureCheck = self.config
        ask = config.zero_shot()
        if ask is not None and not ask.given():  # the data's own column, if any file holds it, else zero-shot
            if not classifies(batch, ask):
                state.values, state.column_seen = _column_counts(state), True
            elif state.column_seen:  # this file lacks the column another file holds: no value
                state.values.update({"": batch.num_rows} if batch.num_rows else {})
                return state
        state.values.update(feature_values(batch, config.feature, config.buckets, ask))
        return state

    def merge_states(self, a: CountState, b: CountState) -> CountState:
        ngrams = {n: merge_sketch(a.ngrams.get(n), b.ngrams.get(n)) for n in set(a.ngrams) | set(b.ngrams)}
        if a.column_seen or b.column_seen:
            return CountState(a.rows + b.rows, _column_counts(a) + _column_counts(b), ngrams, True)
        return CountState(a.rows + b.rows, a.values + b.values, ngrams)

    def problem(self, state: CountState) -> str | None:
        """A feature empty (or only spaces) in every row: the contract names a column the data leaves empty
        (unless it lists the feature in dataset.optional_fields: then there is nothing to count)."""
        if self.config.feature in self.spec.optional_fields:
            return None
        seen = KeySeen(state.rows, sum(n for value, n in state.values.items() if value.strip()), varied=True)
        return seen.problem(f"feature {self.config.feature!r}", "set `feature:` to a column holding each row's value, "
                            f"or a built-in feature ({', '.join(FEATURES)})")

    def errored(self, state: CountState, problem: str) -> CheckResult:
        return self.result(status="errored", error=problem, message=problem, rows=state.rows)

    def verdict(self, state: CountState, details: FeatureCounts, what: str) -> CheckResult:
        violations = details.violations
        message = f"{what}: " + ("; ".join(violations) if violations else "every target met")
        return self.result(status="failed" if violations else "passed", metric="targets_missed", value=len(violations),
                           threshold=Threshold(kind="none", value=0), rows=state.rows, findings=len(violations),
                           message=message, details=details.dump())


def _column_counts(state: CountState) -> Counter[str]:
    """The counts once a column of the feature's name is seen: rows labelled zero-shot before (from files
    without the column) have no value of it, as the rows of a file without any other column."""
    rows = sum(state.values.values())
    return state.values if state.column_seen else Counter({"": rows} if rows else {})


def merge_sketch(a: tuple[int, np.ndarray] | None, b: tuple[int, np.ndarray] | None) -> tuple[int, np.ndarray]:
    """k-minimum-values sketches of two streams: totals add, the smallest SKETCH distinct hashes stay."""
    if a is None or b is None:
        return a or b or (0, np.zeros(0, np.uint64))
    return a[0] + b[0], np.union1d(a[1], b[1])[:SKETCH]
