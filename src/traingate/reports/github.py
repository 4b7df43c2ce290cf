"""GitHub Actions workflow commands: one annotation per failing check, at its first failing row in data
order (checks that compare rows, such as duplicates, at the earliest of the rows they show). A row counted
by item or row number (a compact JSON array, Parquet) is named in the message, not given as a line.

The level follows the severity: an error failure or a check that could not run is `::error`, a warn
failure `::warning`, an info finding `::notice`; the message starts with the status word every view uses
(`failed (warn)`, `noted (info)`) and the value against its threshold (`7.59% > 0.50%`). The last line is
the gate, by the verdict's name (FAILED, PASSED WITH WARNINGS)."""

from __future__ import annotations

import secrets

from traingate.reports.figures import headline, verdict_word
from traingate.reports.sanitize import visible
from traingate.results.model import CheckResult, Location, RunResult

LEVELS = {"error": "error", "warn": "warning", "info": "notice"}
GATE_LEVELS = {"passed": "notice", "warned": "warning", "failed": "error", "errored": "error"}


def _escape(text: str, prop: bool = False) -> str:
    """Workflow-command escaping (% and line breaks; : and , in properties); other control characters visible."""
    text = visible(text, keep="\r\n").replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def first_failing(check: CheckResult, files: list[str]) -> Location | None:
    """The check's first failing row; else its sample earliest in data order (files in run order, then line)."""
    if check.first_failure is not None or not check.samples:
        return check.first_failure
    order = {path: index for index, path in enumerate(files)}
    first = min(check.samples, key=lambda s: (order.get(s.file, len(order)), s.line))
    return Location(file=first.file, line=first.line, unit=first.unit)


def render_github(run: RunResult) -> str:
    lines = []
    files = [info.path for info in run.dataset.files]
    for check in run.checks:
        if check.status not in ("failed", "errored"):
            continue
        level = "error" if check.status == "errored" else LEVELS[check.severity]
        where = first_failing(check, files)
        message = headline(check)
        props = [f"file={_escape(where.file, True)}"] if where else []
        if where is not None and where.unit == "line":
            props.append(f"line={where.line}")
        elif where is not None:
            message = f"{where.unit} {where.line}: {message}"
        props.append(f"title={_escape(check.id, True)}")
        lines.append(f"::{level} {','.join(props)}::{_escape(message)}")
    summary = "; ".join(run.gate.reasons) or "every check passed"
    lines.append(f"::{GATE_LEVELS[run.gate.verdict]} title=traingate::gate {verdict_word(run)}: {_escape(summary)}")
    return "\n".join(lines) + "\n"


def stop_commands() -> tuple[str, str]:
    """The lines that open and close a stretch of output the runner reads no workflow command in (GitHub's
    ::stop-commands::), so no line of the summary printed around the annotations (a file name holding
    "\\n::error::") can start one. The token is random, so the data cannot close the stretch early."""
    token = secrets.token_hex(16)
    return f"::stop-commands::{token}\n", f"::{token}::\n"
