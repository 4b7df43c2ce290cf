"""Markdown views of a run: a summary for a pull-request comment or $GITHUB_STEP_SUMMARY, and a dataset
card that states the contract's claims beside the measured figures. Text from the data is never shown; names
(files, checks, the contract's) are escaped, since markdown is rendered as HTML: < > & as entities, control
characters as visible escapes."""

from __future__ import annotations

from traingate.reports.sanitize import visible
from traingate.results.model import CheckResult, RunResult

ICONS = {"passed": "✅", "failed": "❌", "errored": "⚠️", "skipped": "➖"}


def _text(text: str) -> str:
    """Safe in markdown rendered as HTML: no tag, no entity, no control character, one line."""
    text = visible(text.replace("\r\n", " ").replace("\n", " "))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(text: str) -> str:
    return _text(text).replace("|", "\\|")


def _threshold(check: CheckResult) -> str:
    if check.threshold is None:
        return ""
    return "no findings" if check.threshold.kind == "none" else f"{check.threshold.kind} {check.threshold.value:g}"


def number(x: float | None) -> str:
    """A measured figure: whole numbers as such (1,234,567), others to one decimal."""
    value = float(x or 0)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"


def _value(check: CheckResult) -> str:
    return f"{check.metric} = {check.value:.4g}" if check.value is not None else ""


def render_markdown(run: RunResult) -> str:
    lines = [f"## traingate: {run.gate.verdict.upper()} — {_text(run.contract.name)} {_text(run.contract.version)}", "",
             f"{run.dataset.rows:,} rows in {len(run.dataset.files)} file(s), fingerprint `{run.dataset.fingerprint[:16]}`, "
             f"{run.dataset.bad_records} unreadable record(s).", ""]
    lines += [f"- {_cell(reason)}" for reason in run.gate.reasons] + ([""] if run.gate.reasons else [])
    lines += ["| check | status | severity | value | threshold | message |", "|---|---|---|---|---|---|"]
    lines += [f"| {_cell(c.id)} | {ICONS.get(c.status, '')} {c.status} | {c.severity} | {_value(c)} | {_threshold(c)} | "
              f"{_cell(c.message)} |" for c in run.checks]
    return "\n".join(lines) + "\n"


def render_card(run: RunResult) -> str:
    """A dataset card: what the contract claims of the data, and what this run measured."""
    c, d = run.contract, run.dataset
    lines = [f"# Dataset card: {_text(c.name)}", "", _text(c.description or ""), "",
             "## Provenance", "", f"- Contract {_text(c.name)} version {_text(c.version)} (sha256 `{c.sha256[:16]}`)",
             f"- Checked by traingate {run.tool_version}, run `{run.run_id}` ({run.finished_at}); gate: **{run.gate.verdict}**",
             f"- Kind: {d.kind}; {d.rows:,} rows; {d.bad_records} unreadable; tokenizer {d.tokenizer}", "",
             "| file | split | rows | sha256 |", "|---|---|---|---|"]
    lines += [f"| {_cell(f.path)} | {_cell(f.split)} | {f.rows:,} | `{f.sha256[:16]}` |" for f in d.files]
    lines += ["", "## Claims and measurements", "", "| dimension | check | claim | measured | status |", "|---|---|---|---|---|"]
    lines += [f"| {ch.group} | {_cell(ch.id)} | {_threshold(ch)} | {_value(ch)} | {ch.status} |" for ch in run.checks]
    lines += ["", "## Distributions", "", "| field | n | mean | p50 | p90 | p99 | max | quantiles |", "|---" * 8 + "|"]
    for dist in run.distributions:
        q = [number(dist.quantiles.get(k)) for k in ("p50", "p90", "p99")]
        lines.append(f"| {_cell(dist.name)} | {dist.count:,} | {dist.mean or 0:,.1f} | {' | '.join(q)} | {number(dist.max)} | "
                     f"{dist.quantile_note() if dist.quantiles else ''} |")
    return "\n".join(lines) + "\n"
