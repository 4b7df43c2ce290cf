"""What got worse between two runs of one contract: checks that newly fail or error, metrics that
moved the wrong way past a tolerance, more unreadable records."""

from __future__ import annotations

from dataclasses import dataclass, field

from traingate.results.model import CheckResult, RunResult

BAD = {"failed", "errored"}


@dataclass
class RunDiff:
    regressions: list[str] = field(default_factory=list)
    improvements: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _worse_direction(check: CheckResult) -> int:
    """+1 when a larger value is worse (counts, rates), -1 when smaller is worse (shares, minimums)."""
    kind = check.threshold.kind if check.threshold else "none"
    return -1 if kind in ("min_share", "min") else 1


def diff_runs(old: RunResult, new: RunResult, tolerance: float = 0.0) -> RunDiff:
    out = RunDiff()
    if (old.contract.name, old.contract.sha256) != (new.contract.name, new.contract.sha256):
        out.notes.append(f"the contracts differ ({old.contract.name} {old.contract.version} -> "
                         f"{new.contract.name} {new.contract.version})")
    before = {c.id: c for c in old.checks}
    for check in new.checks:
        was = before.get(check.id)
        if was is None:
            out.notes.append(f"{check.id} is new ({check.status})")
            continue
        if check.status in BAD and was.status not in BAD:
            out.regressions.append(f"{check.id} now {check.status} (was {was.status}): {check.message}")
        elif was.status in BAD and check.status not in BAD:
            out.improvements.append(f"{check.id} now {check.status} (was {was.status})")
        if check.value is not None and was.value is not None and check.metric == was.metric:
            moved = (check.value - was.value) * _worse_direction(check)
            if moved > tolerance:
                out.regressions.append(f"{check.id}: {check.metric} {was.value:.4g} -> {check.value:.4g}")
    out.notes += [f"{cid} is gone" for cid in before.keys() - {c.id for c in new.checks}]
    if new.dataset.bad_records > old.dataset.bad_records:
        out.regressions.append(f"unreadable records {old.dataset.bad_records} -> {new.dataset.bad_records}")
    return out
