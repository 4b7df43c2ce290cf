"""GitHub Actions workflow commands: one annotation per failing check, pointing at a failing row."""

from __future__ import annotations

from traingate.results.model import RunResult


def _escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def render_github(run: RunResult) -> str:
    lines = []
    for check in run.checks:
        if check.status not in ("failed", "errored"):
            continue
        level = "error" if check.status == "errored" or check.severity == "error" else "warning"
        props = [f"file={_escape(check.samples[0].file, True)}", f"line={check.samples[0].line}"] if check.samples else []
        props.append(f"title={_escape(check.id, True)}")
        lines.append(f"::{level} {','.join(props)}::{_escape(check.message)}")
    level = "error" if run.gate.verdict in ("failed", "errored") else "notice"
    summary = "; ".join(run.gate.reasons) or "every check passed"
    lines.append(f"::{level} title=traingate::gate {run.gate.verdict}: {_escape(summary)}")
    return "\n".join(lines) + "\n"
