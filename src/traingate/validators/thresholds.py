"""A check's threshold applied to its finding count: the only place pass/fail is decided."""

from __future__ import annotations

from dataclasses import dataclass

from traingate.contracts.model import CheckConfig
from traingate.results.model import Status, Threshold


@dataclass(frozen=True)
class Judgement:
    status: Status
    metric: str
    value: float
    threshold: Threshold


def judge(config: CheckConfig, rows: int, findings: int) -> Judgement:
    rate = findings / rows if rows else 0.0
    if config.max_count is not None:
        return Judgement("passed" if findings <= config.max_count else "failed", "count", findings,
                         Threshold(kind="max_count", value=config.max_count))
    if config.max_rate is not None:
        return Judgement("passed" if rate <= config.max_rate else "failed", "rate", rate,
                         Threshold(kind="max_rate", value=config.max_rate))
    if config.min_share is not None:
        share = 1.0 - rate if rows else 0.0
        return Judgement("passed" if share >= config.min_share else "failed", "share_clean", share,
                         Threshold(kind="min_share", value=config.min_share))
    return Judgement("passed" if findings == 0 else "failed", "count", findings, Threshold(kind="none", value=0))
