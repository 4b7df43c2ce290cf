"""The summary table printed after every run. Every text from the run goes through `_safe`: rich markup
escaped, and control characters and escape sequences (a data file named with ANSI codes) made visible.

The words are the other views' (reports/figures.py): the verdict's name, each check's status with its
severity (`failed (warn)`, `noted (info)`) and its value against its threshold in one unit. A check id is
never folded: its column is as wide as the longest id, or, on a console too narrow for the message beside
it, as wide as draws the table in the fewest lines (a longer id on a line of its own). When the console
leaves the message a column of MESSAGE_COLUMN characters or more, the message stands in it; otherwise it
goes on a dim line of its own under its check's row, as wide as the console."""

from __future__ import annotations

import textwrap

from rich.console import Console
from rich.markup import escape
from rich.rule import Rule
from rich.text import Text

from traingate.reports.drift_table import drift_checks, text_lines
from traingate.reports.figures import measured, status_word, tone, verdict_word
from traingate.reports.sanitize import visible
from traingate.results.model import CheckResult, RunResult

COLOUR = {"error": "red", "warn": "yellow", "info": "dim", "passed": "green", "errored": "magenta", "skipped": "dim"}
VERDICT_COLOUR = {"passed": "green", "warned": "yellow", "failed": "red", "errored": "magenta"}
HEADERS = ("check", "status", "findings", "measured")
GAP = 2  # spaces between columns
MESSAGE_COLUMN = 50  # narrowest message column; a narrower console puts the message under the row
MEASURED_ROOM = 16  # the measured column's share of a console too narrow for the longest id


def _safe(text: str) -> str:
    return escape(visible(text))


def _cells(check: CheckResult) -> dict[str, Text]:
    colour = COLOUR[tone(check)]
    return {"check": Text(visible(check.id)), "status": Text(status_word(check), style=colour),
            "findings": Text(f"{check.findings:,}"), "measured": Text(visible(measured(check)), style=colour),
            "message": Text(visible(check.message), style="dim")}


def _layout(rows: list[dict[str, Text]], width: int) -> tuple[dict[str, int], bool]:
    """The columns to draw, each as wide as its longest text, and whether the message is one of them. A
    console too narrow for a message column puts it under the row; too narrow for the figures as well, it
    leaves out the findings (the message counts them too). The id column is as wide as the longest id that
    leaves the measured column MEASURED_ROOM; a longer id stands on a line of its own."""
    widths = {h: max([len(h)] + [row[h].cell_len for row in rows]) for h in (*HEADERS, "message")}
    message = widths.pop("message")
    wide = width - sum(widths.values()) - len(widths) * GAP >= MESSAGE_COLUMN
    if not wide and sum(widths.values()) + (len(widths) - 1) * GAP > width:
        del widths["findings"]
    both = width - sum(widths.values()) + widths["check"] + widths["measured"] - (len(widths) - 1) * GAP
    room = both - min(widths["measured"], MEASURED_ROOM)
    fits = [len("check")] + [n for n in (row["check"].cell_len for row in rows) if n <= room]
    widths["check"] = max(fits) if wide else _shortest(rows, sorted(set(fits)), both)
    if wide:
        widths["message"] = message
    return widths, wide


def _shortest(rows: list[dict[str, Text]], fits: list[int], both: int) -> int:
    """The id column's width, of those in `fits`, that draws the checks in the fewest lines when the measured
    column takes the rest of `both` columns: an id wider than it stands on a line of its own, a figure wider
    than the rest folds. One 46-character id does not leave every other check's figure 16 columns (the widest
    of the fewest lines)."""

    def lines(check: int) -> int:
        room = max(both - check, 1)
        return sum((row["check"].cell_len > check) + len(textwrap.wrap(row["measured"].plain, room) or [""])
                   for row in rows)

    return min(fits, key=lambda check: (lines(check), -check))


def _line(widths: dict[str, int], cells: dict[str, Text], console: Console) -> None:
    """One line of the table, laid out here rather than by rich so that lines printed one by one stay aligned
    and end without padding: every column but the last as wide as its longest text, the last (measured, or
    the message) folded at the console's edge under itself."""
    *fixed, last = widths
    line = Text()
    for header in fixed:
        pad = " " * (widths[header] - cells[header].cell_len)
        line += Text(pad) + cells[header] if header == "findings" else cells[header] + pad
        line += " " * GAP
    parts = cells[last].wrap(console, max(console.width - line.cell_len, 10), overflow="fold") or [Text()]
    for index, part in enumerate(parts):
        text = (line if index == 0 else Text(" " * line.cell_len)) + part
        text.rstrip()
        console.print(text, soft_wrap=True)


def _table(result: RunResult, console: Console) -> None:
    """A header, a rule, and a line per check. With room for a message column the message stands in it;
    otherwise it goes on a dim line under its check, spanning the table."""
    rows = [_cells(check) for check in result.checks]
    widths, wide = _layout(rows, console.width)
    _line(widths, {h: Text(h, style="bold") for h in widths}, console)
    console.print(Rule(style="dim"), width=min(console.width, sum(widths.values()) + (len(widths) - 1) * GAP))
    for row in rows:
        if row["check"].cell_len > widths["check"]:
            console.print(row["check"], soft_wrap=True)
            row["check"] = Text("")
        _line(widths, row, console)
        if not wide and row["message"]:  # wrapped here, not by the console, so every line keeps its indent
            for line in row["message"].wrap(console, max(console.width - 2, 20), overflow="fold"):
                line.rstrip()
                console.print(Text("  ") + line, soft_wrap=True)


def render_terminal(result: RunResult, console: Console) -> None:
    console.print(f"traingate · {_safe(result.contract.name)} {_safe(result.contract.version)}", highlight=False)
    _table(result, console)
    for check in drift_checks(result.checks):
        console.print(f"drift of {_safe(check.id)} against {_safe(str(check.details.get('reference', '')))}:", highlight=False)
        for line in text_lines(check.details["features"]):
            console.print(Text("  " + visible(line)), soft_wrap=True)
    _dataset(result, console)
    colour = VERDICT_COLOUR[result.gate.verdict]
    console.print(f"verdict: [bold {colour}]{verdict_word(result)}[/]" +
                  "".join(f"\n  - {_safe(r)}" for r in result.gate.reasons), highlight=False)


def _dataset(result: RunResult, console: Console) -> None:
    ds = result.dataset
    console.print(f"{ds.rows:,} rows in {len(ds.files)} file(s), tokenizer {_safe(ds.tokenizer)}"
                  + (f", limited to the first {ds.limited_to:,} rows" if ds.limited_to else ""), highlight=False)
    if ds.cache is not None:
        console.print(f"[dim]cache[/]: {_safe(ds.cache.line())}", highlight=False)
    if ds.stopped_early:
        console.print(f"[red]stopped early[/]: {_safe(ds.stopped_early)}", highlight=False)
    for action in ds.memory_actions:
        console.print(f"[yellow]memory limit[/]: {_safe(action)}", highlight=False)
    for warning in result.warnings:
        console.print(f"[yellow]warning[/]: {_safe(warning)}", highlight=False)
    for skipped in ds.skipped_files:
        console.print(f"[dim]skipped[/]: {_safe(skipped.path)} ({_safe(skipped.reason)})", highlight=False)
    for shard in ds.errored_shards:
        console.print(f"[red]errored shard[/]: {_safe(shard)}", highlight=False)
    if ds.bad_records:
        console.print(f"[red]{ds.bad_records} unreadable record(s)[/]: " +
                      ", ".join(f"{_safe(k)} {v}" for k, v in sorted(ds.fault_counts.items())), highlight=False)
        for fault in ds.faults[:10]:
            console.print(_safe(f"  {fault.file}:{fault.line} [{fault.kind}] {fault.message}"), highlight=False)
