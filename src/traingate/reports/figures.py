"""The words and figures every view of a run shares (HTML, terminal, markdown, JUnit): a verdict's name, a
check's status with its severity, and its measured value against its threshold in one unit
(`7.59% > 0.50%`, `1,387 tokens < 2,000`). Presentation only: every number comes from the run."""

from __future__ import annotations

from traingate.results.model import CheckResult, RunResult

VERDICTS = {"passed": "PASSED", "warned": "PASSED WITH WARNINGS", "failed": "FAILED", "errored": "ERRORED"}
RATES = ("rate", "share_clean", "rate_upper_95", "share_clean_lower_95", "unexpected_share")
SHARE_WORDS = {"unexpected_share": " unexpected"}  # a share that needs its noun: `1.88% unexpected`
OBSERVED = ("column_", "table_")  # an embedded expectation's observed figure, named for its expectation
UNITS = {"count": "rows", "targets_missed": "targets missed", "krippendorff_alpha": "α"}
SINGULAR = {"rows": "row", "targets missed": "target missed", "tokens": "token"}


def verdict_word(run: RunResult) -> str:
    return VERDICTS[run.gate.verdict]


def status_word(check: CheckResult) -> str:
    """passed, failed, `failed (warn)`, `noted (info)` (an info check never fails), errored, skipped."""
    if check.status != "failed" or check.severity == "error":
        return check.status
    return "failed (warn)" if check.severity == "warn" else "noted (info)"


def tone(check: CheckResult) -> str:
    """The colour class of a check: error (red), warn (amber), info (grey), passed, errored, skipped."""
    return check.severity if check.status == "failed" else check.status


def is_problem(check: CheckResult) -> bool:
    """A check a reviewer must read first: failed (any severity but info) or errored."""
    return check.status == "errored" or (check.status == "failed" and check.severity != "info")


def percent(share: float) -> str:
    """A share as a percentage, with enough digits that a nonzero share never reads 0.00%."""
    if share == 0 or abs(share) >= 0.0001:
        return f"{share:.2%}"
    return f"{share * 100:.2g}%"


def amount(value: float, metric: str) -> str:
    """A metric's value in its unit: a share in percent, a count with its noun, a figure with its name."""
    if metric in RATES:
        return percent(value) + SHARE_WORDS.get(metric, "")
    if metric == "krippendorff_alpha":
        return f"α {value:.3f}"
    whole = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"
    if metric.startswith(OBSERVED):
        return f"observed {whole}"
    unit = UNITS.get(metric, metric)
    if value == 1:
        unit = SINGULAR.get(unit, unit)
    return f"{whole} {unit}" if unit else whole


def limit(check: CheckResult) -> str:
    """The threshold alone in the metric's unit: `≤ 0.50%`, `≥ 95.00%`, `none allowed`."""
    t = check.threshold
    if t is None:
        return ""
    if t.kind == "none":
        return "none allowed"
    if t.kind == "max_rate":
        return f"≤ {percent(t.value)}"
    if t.kind == "min_share":
        return f"≥ {percent(t.value)}"
    if t.kind == "max_count":
        return f"≤ {t.value:,.0f}"
    return f"≥ {_bare(t.value, check.metric)}"


def _bare(value: float, metric: str) -> str:
    if metric in RATES:
        return percent(value)
    if metric == "krippendorff_alpha":
        return f"{value:.3f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def measured(check: CheckResult) -> str:
    """The value against its threshold: `7.59% > 0.50%` when it fails, `0.12% ≤ 0.50%` when it passes."""
    if check.value is None:
        return ""
    value, t = amount(check.value, check.metric), check.threshold
    if t is None:
        return value
    failed = check.status == "failed"
    if t.kind == "none":
        return f"{value}, none allowed" if failed else value
    above = t.kind in ("max_rate", "max_count")
    sign = (">" if above else "<") if failed else ("≤" if above else "≥")
    return f"{value} {sign} {_bare(t.value, check.metric)}"


def headline(check: CheckResult) -> str:
    """One line for a check where there are no columns (JUnit, annotations): its status word, its value
    against its threshold, its message: `failed (warn): 1.20% > 0.50% — 12 of 1,000 rows with ...`."""
    figure = measured(check)
    return f"{status_word(check)}: {figure} — {check.message}" if figure else f"{status_word(check)}: {check.message}"
