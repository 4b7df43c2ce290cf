"""The contract's limits on the run's distributions: each check's bounds (Validator.limits) placed on the
distribution they concern, so a report draws a max_tokens limit on the axis of the tokens it counts. A bound
on each value of a field is not placed on a distribution that sums several values per row (a conversation's
turns): the chart would show the limit against figures it does not bound."""

from __future__ import annotations

from typing import Any

from traingate.engine.stats import Accumulator
from traingate.results.model import Distribution, Limit
from traingate.validators.common.base import Validator


def with_limits(distributions: list[Distribution], stats: dict[str, Accumulator],
                validators: list[Validator[Any, Any]]) -> list[Distribution]:
    """The distributions, each with the limits of every check that bounds its values, in contract order."""
    placed: dict[str, list[Limit]] = {}
    for validator in validators:
        for bound in validator.limits():
            accumulator = stats.get(bound.distribution)
            if accumulator is not None and not (bound.per_value and accumulator.several):
                placed.setdefault(bound.distribution, []).append(bound.limit)
    return [d.model_copy(update={"limits": placed[d.name]}) if d.name in placed else d for d in distributions]
