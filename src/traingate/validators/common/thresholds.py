"""A check's threshold applied to its finding count: the only place pass/fail is decided."""

from __future__ import annotations

import math
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


def wilson_interval(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval of a proportion (sound at 0 and at small samples, unlike p +- z*se)."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    centre = p + z * z / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    scale = 1 + z * z / trials
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


def judge_sampled(config: CheckConfig, scanned: int, findings: int) -> Judgement:
    """judge() for a seeded sample: the rate's 95% upper bound stands for the rate (the lower bound of
    the clean share for min_share), so a small sample cannot pass what the whole would fail."""
    _, high = wilson_interval(findings, scanned)
    if config.max_rate is not None:
        return Judgement("passed" if high <= config.max_rate else "failed", "rate_upper_95", high,
                         Threshold(kind="max_rate", value=config.max_rate))
    if config.min_share is not None:
        return Judgement("passed" if 1 - high >= config.min_share else "failed", "share_clean_lower_95", 1 - high,
                         Threshold(kind="min_share", value=config.min_share))
    return judge(config, scanned, findings)
