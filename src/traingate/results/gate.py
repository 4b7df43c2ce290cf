"""From check results to a verdict and an exit code."""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the models load with the first verdict, not with the exit codes every command imports
    from traingate.results.model import CheckResult, Gate


class ExitCode(IntEnum):
    """Higher value wins when several apply (see `worst`)."""

    PASSED = 0
    GATE_FAILED = 1
    USAGE = 2
    ERROR = 3


def worst(*codes: ExitCode) -> ExitCode:
    return max(codes, default=ExitCode.PASSED)


def decide(checks: list[CheckResult], fail_on: str, bad_records: int, max_bad_records: int,
           problems: list[str] | None = None) -> Gate:
    """`problems`: what kept data from being checked (a shard that failed twice, a memory stop); any errs the gate."""
    from traingate.results.model import Gate

    reasons: list[str] = []
    errored = [c.id for c in checks if c.status == "errored"]
    failing = [c for c in checks if c.status == "failed"]
    blocking = [c.id for c in failing if c.severity == "error" or (fail_on == "warn" and c.severity == "warn")]
    warned = [c.id for c in failing if c.severity == "warn" and fail_on != "warn"]
    if bad_records > max_bad_records:
        reasons.append(f"{bad_records} unreadable record(s), {max_bad_records} allowed (gate.max_bad_records)")
    reasons += [f"check {cid} failed" for cid in blocking]
    if errored or problems:
        reasons += [f"check {cid} could not run" for cid in errored] + list(problems or [])
        return Gate(verdict="errored", fail_on=fail_on, exit_code=int(ExitCode.ERROR), reasons=reasons)
    if reasons:
        return Gate(verdict="failed", fail_on=fail_on, exit_code=int(ExitCode.GATE_FAILED), reasons=reasons)
    if warned:
        return Gate(verdict="warned", fail_on=fail_on, exit_code=int(ExitCode.PASSED),
                    reasons=[f"check {cid} warned" for cid in warned])
    return Gate(verdict="passed", fail_on=fail_on, exit_code=int(ExitCode.PASSED))
