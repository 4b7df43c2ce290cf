"""Coverage and data mix: a feature's share per value against target bands, required values and a
target mix (total variation distance), over the counts per value of counting.py (shared with diversity.py).
A feature empty in every row, or a value named in the contract that the data holds only in another case or
punctuation ('Math' for 'math'), is a contract problem: the check errs with a hint."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from traingate import empty
from traingate.contracts.model import StrictModel
from traingate.results.details import Absent
from traingate.results.model import CheckResult
from traingate.validators.common.contract_problems import PROBLEM, near_value
from traingate.validators.common.details import ShareListing
from traingate.validators.common.details_parts import ShareBand
from traingate.validators.common.registry import check
from traingate.validators.coverage.counting import CountingValidator, CountState, FeatureCheck, FeatureCounts


class Band(StrictModel):
    min: float | None = Field(None, ge=0, le=1, description="Smallest share of rows with this value.")
    max: float | None = Field(None, ge=0, le=1, description="Largest share of rows with this value.")


class DistributionCheck(FeatureCheck):
    summary: ClassVar[str] = "a feature's share per value against target bands, required values and a target mix"
    type: Literal["distribution"]
    targets: dict[str, Band] = Field(default_factory=empty.dict_, description="Value -> {min, max} share of rows.")
    required: list[str] = Field(default_factory=empty.list_, description="Values that must occur at least once.")
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


class DistributionDetails(FeatureCounts, ShareListing):
    """A feature's share per value against its target bands, required values and target mix."""

    shares: dict[str, float] = Field(description="Share of rows per value (rows with the value / all rows).")
    targets: dict[str, ShareBand] = Field(description="The contract's target band per value.")
    required: Absent[list[str]] = Field(None, description="Values that must occur at least once (with `required` only).")
    mix: Absent[dict[str, float]] = Field(None, description="The target mix, normalised to sum 1 (with `mix` only).")
    divergence: Absent[float] = Field(None, description="Total variation distance between the shares and the mix "
                                      "(with `mix` only).")
    max_divergence: Absent[float] = Field(None, description="The largest distance allowed (with `mix` only).")


@check("distribution", group="coverage", options=DistributionCheck, details=DistributionDetails)
class DistributionValidator(CountingValidator):

    def finalize(self, state: CountState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        config: DistributionCheck = self.config
        problem = self.problem(state) or self.misspelt(state)
        if problem:
            return self.errored(state, problem)
        total = max(state.rows, 1)
        shares = {value: count / total for value, count in state.values.items()}
        violations = [f"value {value!r} never occurs (required)" for value in config.required if not state.values.get(value)]
        for value, band in config.targets.items():
            share = shares.get(value, 0.0)
            if band.min and not state.values.get(value):
                violations.append(f"value {value!r} never occurs (target >= {band.min * 100:.4g}%)")
            elif (band.min is not None and share < band.min) or (band.max is not None and share > band.max):
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
            targets={v: ShareBand(min=b.min, max=b.max) for v, b in config.targets.items()},
            required=list(config.required) or None, mix=mix,
            divergence=divergence, max_divergence=config.max_divergence if mix is not None else None)
        return self.verdict(state, details, f"{len(state.values)} values of {config.feature}")

    def misspelt(self, state: CountState) -> str | None:
        """Values the contract names that never occur while one equal up to case, spacing and punctuation does."""
        config: DistributionCheck = self.config
        named = dict.fromkeys([*config.targets, *config.required, *(config.mix or {})])
        near = {value: near_value(value, state.values) for value in named}
        found = [f"value {value!r} of feature {config.feature!r} never occurs, but {seen!r} does "
                 f"({state.values[seen]:,} rows); did you mean {seen!r}?" for value, seen in near.items() if seen]
        return PROBLEM + "; ".join(found) if found else None
