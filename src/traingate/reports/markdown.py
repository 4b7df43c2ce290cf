"""Markdown views of a run: a summary for a pull-request comment or $GITHUB_STEP_SUMMARY, and a dataset
card that states the contract's claims beside the measured figures. Text from the data is never shown; names
(files, checks, the contract's) are escaped, since markdown is rendered as HTML: < > & as entities, control
characters as visible escapes. The words are every view's (reports/figures.py): the verdict's name, a
check's status with its severity, its value against its threshold in one unit.

The summary puts what must be read first: the verdict, a link to the HTML report when its URL is given,
the count of checks per status, then a table of the checks that failed or could not run (errored, failed,
failed (warn)); passed, noted (info) and skipped checks are folded into a <details> below."""

from __future__ import annotations

from collections import Counter
from urllib.parse import quote, urlsplit

from traingate.reports.drift_table import drift_checks, markdown_lines
from traingate.reports.figures import amount, is_problem, limit, measured, status_word, tone, verdict_word
from traingate.reports.sanitize import visible
from traingate.results.model import CheckResult, RunResult

ICONS = {"error": "❌", "warn": "⚠️", "info": "ℹ️", "passed": "✅", "errored": "⛔", "skipped": "➖"}
ORDER = ("errored", "failed", "failed (warn)", "noted (info)", "passed", "skipped")  # status words, worst first
URL_SAFE = "/:?#@!$&+,;=%~"  # kept as they are in a link; the rest of punctuation is percent-encoded


def _text(text: str) -> str:
    """Safe in markdown rendered as HTML: no tag, no entity, no control character, one line."""
    text = visible(text.replace("\r\n", " ").replace("\n", " "))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(text: str) -> str:
    return _text(text).replace("|", "\\|")


def number(x: float | None) -> str:
    """A measured figure: whole numbers as such (1,234,567), others to one decimal."""
    value = float(x or 0)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"


def report_link(url: str) -> str:
    """`url` as a markdown link's destination: an http(s) URL or a relative path, percent-encoded so that no
    character closes the link or starts markup. ValueError for anything else (javascript:, data:, a
    protocol-relative //host, a control character)."""
    if not url.strip() or visible(url) != url or url != url.strip():
        raise ValueError("the report URL is empty, starts or ends with a space, or holds a control character")
    parts = urlsplit(url)
    if parts.scheme and parts.scheme not in ("http", "https"):
        raise ValueError(f"the report URL's scheme {parts.scheme}: is not allowed; give an http(s) URL or a "
                         "relative path")
    if bool(parts.scheme) != bool(parts.netloc):
        raise ValueError("the report URL must be http(s)://HOST/... or a relative path (no //HOST without a scheme)")
    return quote(url, safe=URL_SAFE)


def _tally(checks: list[CheckResult], bold: bool = True) -> str:
    """`2 failed · 1 failed (warn) · 5 passed`: checks per status word, worst first; problems in bold."""
    counts = Counter(status_word(c) for c in checks)
    return " · ".join(f"**{n} {word}**" if bold and word in ORDER[:3] else f"{n} {word}"
                      for word in ORDER if (n := counts[word]))


def _problems(checks: list[CheckResult]) -> list[str]:
    ranked = sorted(checks, key=lambda c: ORDER.index(status_word(c)))  # stable: contract order within a rank
    lines = ["| check | status | measured | findings | message |", "|---|---|---|---:|---|"]
    return lines + [f"| {_cell(c.id)} | {ICONS[tone(c)]} {status_word(c)} | {_cell(measured(c))} | {c.findings:,} | "
                    f"{_cell(c.message)} |" for c in ranked]


def _others(checks: list[CheckResult]) -> list[str]:
    lines = [f"<details><summary>{_tally(checks, bold=False)}</summary>", "",
             "| check | status | measured | message |", "|---|---|---|---|"]
    lines += [f"| {_cell(c.id)} | {ICONS[tone(c)]} {status_word(c)} | {_cell(measured(c))} | {_cell(c.message)} |"
              for c in checks]
    return lines + ["", "</details>"]


def render_markdown(run: RunResult, report_url: str | None = None) -> str:
    """The summary; `report_url` (http(s) or relative) links the HTML report. ValueError on another URL."""
    link = report_link(report_url) if report_url is not None else None
    problems = [c for c in run.checks if is_problem(c)]
    others = [c for c in run.checks if not is_problem(c)]
    named = {f"check {c.id} {how}" for c in run.checks for how in ("failed", "warned", "could not run")}
    lines = [f"## traingate: {verdict_word(run)} — {_text(run.contract.name)} {_text(run.contract.version)}", ""]
    lines += [f"[The full report (HTML)]({link})", ""] if link else []
    lines += [f"{run.dataset.rows:,} rows in {len(run.dataset.files)} file(s), fingerprint "
              f"`{run.dataset.fingerprint[:16]}`, {run.dataset.bad_records} unreadable record(s).", "",
              f"Checks: {_tally(run.checks)}" if run.checks else "No checks ran.", ""]
    reasons = [r for r in run.gate.reasons if r not in named]  # what the tables below do not show
    lines += [f"- {_cell(reason)}" for reason in reasons] + ([""] if reasons else [])
    lines += _problems(problems) + [""] if problems else []
    lines += _others(others) if others else []
    for check in drift_checks(run.checks):
        lines += ["", f"Drift of {_cell(check.id)} against `{_text(str(check.details.get('reference', '')))}`:", "",
                  *(_text(line) for line in markdown_lines(check.details["features"]))]
    return "\n".join(lines).rstrip("\n") + "\n"


def render_card(run: RunResult) -> str:
    """A dataset card: what the contract claims of the data, and what this run measured."""
    c, d = run.contract, run.dataset
    lines = [f"# Dataset card: {_text(c.name)}", "", _text(c.description or ""), "",
             "## Provenance", "", f"- Contract {_text(c.name)} version {_text(c.version)} (sha256 `{c.sha256[:16]}`)",
             f"- Checked by traingate {run.tool_version}, run `{run.run_id}` ({run.finished_at}); gate: "
             f"**{verdict_word(run)}**",
             f"- Kind: {d.kind}; {d.rows:,} rows; {d.bad_records} unreadable; tokenizer {d.tokenizer}", "",
             "| file | split | rows | sha256 |", "|---|---|---|---|"]
    lines += [f"| {_cell(f.path)} | {_cell(f.split)} | {f.rows:,} | `{f.sha256[:16]}` |" for f in d.files]
    lines += ["", "## Claims and measurements", "", "| dimension | check | claim | measured | status |", "|---|---|---|---|---|"]
    lines += [f"| {ch.group} | {_cell(ch.id)} | {_cell(limit(ch))} | "
              f"{_cell(amount(ch.value, ch.metric)) if ch.value is not None else ''} | {status_word(ch)} |"
              for ch in run.checks]
    lines += ["", "## Distributions", "", "| field | n | mean | p50 | p90 | p99 | max | quantiles |", "|---" * 8 + "|"]
    for dist in run.distributions:
        q = [number(dist.quantiles.get(k)) for k in ("p50", "p90", "p99")]
        lines.append(f"| {_cell(dist.name)} | {dist.count:,} | {dist.mean or 0:,.1f} | {' | '.join(q)} | {number(dist.max)} | "
                     f"{dist.quantile_note() if dist.quantiles else ''} |")
    return "\n".join(lines) + "\n"
