"""What got worse between two runs of one contract: checks whose verdict got worse, metrics that used
up more than a tolerated share of their room to the threshold (or went further past it), more
unreadable records. A metric that merely changed, such as a rate after rows were removed, is not one.
Beside them, the drift table of every feature both runs sketched (validators/consistency/drift_compare.py,
at the `drift` check's default limits): shown, not judged, since moving is what a new version may mean to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from traingate.results.model import CheckResult, RunResult
from traingate.validators.consistency.drift_compare import Limits, table

BAD = {"failed", "errored"}
DEFAULT_TOLERANCE = 0.25


@dataclass
class RunDiff:
    regressions: list[str] = field(default_factory=list)
    improvements: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    drift: list[dict[str, Any]] = field(default_factory=list)  # a drift table's rows, as a drift check's details


def drift_between(old: RunResult, new: RunResult) -> tuple[list[dict[str, Any]], list[str]]:
    """The drift table of the features both runs sketched, and a note for what could not be compared."""
    before, after = {s.name: s for s in old.sketches}, {s.name: s for s in new.sketches}
    if not before or not after:
        return [], [f"{side} holds no sketches ({_why_unsketched(run)}): no drift table"
                    for side, run in (("OLD", old), ("NEW", new)) if not run.sketches]
    rows, missing = table(before, after, sorted(before.keys() & after.keys()), Limits())
    return [row.dump() for row in rows], missing


def _why_unsketched(run: RunResult) -> str:
    version = tuple(int(p) for p in run.schema_version.split(".") if p.isdigit())
    return f"run format {run.schema_version}, before 1.3" if version < (1, 3) else "it read no rows"


@dataclass(frozen=True)
class Tolerances:
    """The share of a metric's distance to its threshold it may move toward it before that is a regression;
    per check id, else the default."""

    default: float = DEFAULT_TOLERANCE
    per_check: dict[str, float] = field(default_factory=dict)

    def of(self, check_id: str) -> float:
        return self.per_check.get(check_id, self.default)


def parse_tolerances(items: list[str]) -> Tolerances:
    """'0.3' sets the default, 'CHECK=0.1' one check's; ValueError names a malformed item."""
    default, per_check = DEFAULT_TOLERANCE, {}
    for item in items:
        check_id, _, text = item.rpartition("=")
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{item!r}: give a share such as 0.25, or CHECK=0.25") from None
        if not value >= 0:
            raise ValueError(f"{item!r}: a tolerance is a share of the distance to the threshold, 0 or more")
        if check_id:
            per_check[check_id] = value
        else:
            default = value
    return Tolerances(default, per_check)


def _worse_direction(check: CheckResult) -> int:
    """+1 when a larger value is worse (counts, rates), -1 when smaller is worse (shares, minimums)."""
    kind = check.threshold.kind if check.threshold else "none"
    return -1 if kind in ("min_share", "min") else 1


def _metric_regression(was: CheckResult, check: CheckResult, tolerance: float) -> str | None:
    """The value moved the bad way by more than `tolerance` of its old distance to the threshold: its room
    while passing, how far past it while failing. Without a threshold there is no distance to judge."""
    if check.value is None or was.value is None or check.metric != was.metric or check.threshold is None:
        return None
    direction = _worse_direction(check)
    moved = (check.value - was.value) * direction
    distance = abs(check.threshold.value - was.value)
    if moved <= 0 or moved <= tolerance * distance:
        return None
    threshold = f"{check.threshold.kind} {check.threshold.value:.4g}"
    if distance:
        way = "further past" if was.status in BAD else "toward"
        how = f"{moved / distance:.0%} of its distance {way} {threshold} (tolerance {tolerance:.0%})"
    else:
        how = f"away from {threshold}, where it stood"
    return f"{check.id}: {check.metric} {was.value:.4g} -> {check.value:.4g}, {how}"


def diff_runs(old: RunResult, new: RunResult, tolerances: Tolerances | None = None) -> RunDiff:
    tolerances = tolerances or Tolerances()
    out = RunDiff()
    before_c, after_c = f"{old.contract.name} {old.contract.version}", f"{new.contract.name} {new.contract.version}"
    if (old.contract.name, old.contract.sha256) != (new.contract.name, new.contract.sha256):
        out.notes.append(f"the contracts differ ({before_c} -> {after_c})" if before_c != after_c else
                         f"the contract file changed ({after_c}: same name and version, another sha256)")
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
        elif (moved := _metric_regression(was, check, tolerances.of(check.id))) is not None:
            out.regressions.append(moved)
    out.notes += [f"{cid} is gone" for cid in before.keys() - {c.id for c in new.checks}]
    if new.dataset.bad_records > old.dataset.bad_records:
        out.regressions.append(f"unreadable records {old.dataset.bad_records} -> {new.dataset.bad_records}")
    out.drift, missing = drift_between(old, new)
    out.notes += missing
    return out


def unknown_checks(tolerances: Tolerances, *runs: RunResult) -> list[str]:
    """Check ids a per-check tolerance names that neither run has (a typo would otherwise do nothing)."""
    known = {c.id for run in runs for c in run.checks}
    return sorted(set(tolerances.per_check) - known)
