"""Quantity: enough rows and enough tokens, overall or per split."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from traingate import empty
from traingate.contracts.model import CheckConfig
from traingate.data.batch import BatchContext
from traingate.results.model import CheckResult, Threshold
from traingate.validators.common.base import Validator
from traingate.validators.common.details import SplitCounts
from traingate.validators.common.registry import check


class MinRowsCheck(CheckConfig):
    summary: ClassVar[str] = "at least `min` rows, per split when the contract lists splits"
    type: Literal["min_rows"]
    min: int = Field(ge=0)
    per_split: dict[str, int] = Field(default_factory=empty.dict_, description="Split name -> its own minimum.")


class MinTotalTokensCheck(CheckConfig):
    summary: ClassVar[str] = "at least `min` tokens in all text fields together, per split"
    type: Literal["min_tokens"]
    min: int = Field(ge=0)
    per_split: dict[str, int] = Field(default_factory=empty.dict_)


class MinimumDetails(SplitCounts):
    """The amount (rows, or tokens) per split."""

    by_split: dict[str, int] = Field(description="Rows (min_rows) or tokens (min_tokens) per split, the splits "
                                     "of the data and of `per_split` in name order (`all` when the data has none).")


class _MinimumValidator(Validator[MinRowsCheck | MinTotalTokensCheck, Counter[str]]):
    unit = "rows"

    def amount(self, batch: BatchContext) -> int:
        raise NotImplementedError

    def create_state(self) -> Counter[str]:
        return Counter()

    def add_batch(self, state: Counter[str], batch: BatchContext) -> Counter[str]:
        state[batch.split] += self.amount(batch)
        return state

    def merge_states(self, a: Counter[str], b: Counter[str]) -> Counter[str]:
        merged = Counter(a)
        merged.update(b)
        return merged

    def finalize(self, state: Counter[str], rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        cfg = self.config
        splits = sorted(set(state) | set(cfg.per_split)) or ["all"]
        short = {s: (state.get(s, 0), cfg.per_split.get(s, cfg.min)) for s in splits
                 if state.get(s, 0) < cfg.per_split.get(s, cfg.min)}
        total = sum(state.values())
        by_split = {s: state.get(s, 0) for s in splits}
        if short:
            message = "; ".join(f"split {s}: {have} {self.unit}, at least {need} required"
                                for s, (have, need) in short.items())
        else:
            message = f"{total} {self.unit}" + (f" ({', '.join(f'{s}: {n}' for s, n in by_split.items())})"
                                                 if len(splits) > 1 else "") + f", at least {cfg.min} required"
        return self.result(status="failed" if short else "passed", metric=self.unit, value=float(total),
                           threshold=Threshold(kind="min", value=cfg.min), rows=total if self.unit == "rows" else 0,
                           findings=len(short), message=message, details=MinimumDetails(by_split=by_split).dump())


@check("min_rows", group="quantity", options=MinRowsCheck, details=MinimumDetails)
class MinRowsValidator(_MinimumValidator):
    unit = "rows"

    def columns(self) -> set[str]:
        return set()

    def reads(self) -> list[str]:
        return []

    def amount(self, batch: BatchContext) -> int:
        return batch.num_rows


@check("min_tokens", group="quantity", options=MinTotalTokensCheck, details=MinimumDetails)
class MinTotalTokensValidator(_MinimumValidator):
    unit = "tokens"

    def amount(self, batch: BatchContext) -> int:
        return sum(int(np.sum(batch.counts(v, "tokens"))) for v in batch.views())
