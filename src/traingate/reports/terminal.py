"""The summary table printed after every run. Every text from the run goes through `_safe`: rich markup
escaped, and control characters and escape sequences (a data file named with ANSI codes) made visible."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from traingate.reports.sanitize import visible
from traingate.results.model import CheckResult, RunResult

STYLE = {"passed": "green", "failed": "red", "errored": "magenta", "skipped": "dim"}
VERDICT = {"passed": "[bold green]PASSED", "warned": "[bold yellow]PASSED WITH WARNINGS",
           "failed": "[bold red]FAILED", "errored": "[bold magenta]ERRORED"}


def _safe(text: str) -> str:
    return escape(visible(text))


def _status(check: CheckResult) -> str:
    label = check.status if check.status != "failed" or check.severity == "error" else f"failed ({check.severity})"
    return f"[{STYLE[check.status]}]{label}"


def _threshold(check: CheckResult) -> str:
    t = check.threshold
    if t is None:
        return ""
    if t.kind == "none":
        return "no findings"
    value = f"{t.value:.2%}" if t.kind in ("max_rate", "min_share") else f"{t.value:g}"
    return f"{t.kind} {value}"


def render_terminal(result: RunResult, console: Console) -> None:
    table = Table(title=f"traingate · {_safe(result.contract.name)} {_safe(result.contract.version)}",
                  title_justify="left")
    for column in ("check", "status", "findings", "threshold", "message"):
        table.add_column(column, overflow="fold")
    for check in result.checks:
        table.add_row(_safe(check.id), _status(check), f"{check.findings:,}", _threshold(check), _safe(check.message))
    console.print(table)
    ds = result.dataset
    console.print(f"{ds.rows:,} rows in {len(ds.files)} file(s), tokenizer {_safe(ds.tokenizer)}"
                  + (f", limited to the first {ds.limited_to:,} rows" if ds.limited_to else ""))
    if ds.stopped_early:
        console.print(f"[red]stopped early[/]: {_safe(ds.stopped_early)}")
    for action in ds.memory_actions:
        console.print(f"[yellow]memory limit[/]: {_safe(action)}")
    for skipped in ds.skipped_files:
        console.print(f"[dim]skipped[/]: {_safe(skipped.path)} ({_safe(skipped.reason)})", highlight=False)
    for shard in ds.errored_shards:
        console.print(f"[red]errored shard[/]: {_safe(shard)}")
    if ds.bad_records:
        console.print(f"[red]{ds.bad_records} unreadable record(s)[/]: " +
                      ", ".join(f"{_safe(k)} {v}" for k, v in sorted(ds.fault_counts.items())))
        for fault in ds.faults[:10]:
            console.print(_safe(f"  {fault.file}:{fault.line} [{fault.kind}] {fault.message}"), highlight=False)
    console.print(f"verdict: {VERDICT[result.gate.verdict]}[/]" +
                  "".join(f"\n  - {_safe(r)}" for r in result.gate.reasons))
