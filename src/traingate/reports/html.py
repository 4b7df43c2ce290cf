"""One self-contained HTML file: inline CSS and SVG charts (vl-convert), no scripts, every value escaped.

The first screen decides: the verdict as the page's heading, tiles counting the checks by status, then a table
of the checks a reviewer must read first (failed or errored), each with its value against its threshold and a
link to its evidence. Words and figures come from reports/figures.py, as in every other view of a run.

Each check's details are parsed into the model its check type registered (contracts.registry.details_model),
and the templates read that model's fields: a section is drawn for the models that subclass it (the tests
`reason_counts`, `cluster_listing`, ... of validators/common/details.py's sections). Undefined names fail the
render (StrictUndefined), so a field renamed in a model cannot silently drop a part of the report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from traingate.contracts.model import GROUPS
from traingate.contracts.registry import details_model
from traingate.reports import charts, drift_table, figures
from traingate.reports.files import write_text
from traingate.reports.markdown import number
from traingate.reports.sanitize import visible
from traingate.results.model import CheckResult, Fault, RunResult, Sample
from traingate.validators.common.details import SECTIONS, Section

# The why table's order: what could not run, then what fails the gate, then warnings.
RANK = {"errored": 0, "error": 1, "warn": 2}
# Tiles in the banner: a status word and whether it is shown when no check has it.
TILES = (("failed", True), ("failed (warn)", True), ("errored", True), ("passed", True), ("noted (info)", False),
         ("skipped", False))
SHORT = 160
# Kept as they are in a text of the data: a sample's tabs and line breaks. A carriage return is shown (\x0d).
KEEP = "\t\n"
# Measures that count (a whole number before its unit); any other measure is named before its figure.
COUNTED = ("tokens", "chars", "characters", "words", "turns", "rows")


def shown(text: str) -> str:
    """A text of the data as the page shows it: control characters, escape sequences and bidirectional
    overrides as visible escapes (\x1b, \u202e), as in the charts and the terminal, so that no character
    reorders or hides what a card shows (`invoice_\u202egnp.exe` would draw as `invoice_exe.png`)."""
    return visible(text, keep=KEEP)


def _finalize(value: Any) -> Any:
    """Every text a template writes goes through `shown` (markup the filters built has made its own safe)."""
    return shown(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def highlight(sample: Sample) -> Markup:
    """The excerpt with its offending span marked; the text itself is escaped and shown (`shown`) a part at a
    time, so the mark stays on the characters it marks."""
    text = sample.excerpt
    if sample.span is None:
        return escape(shown(text))
    start, end = sample.span
    return Markup("{}<mark>{}</mark>{}").format(shown(text[:start]), shown(text[start:end]) or "\u2038",
                                                shown(text[end:]))


def place(row: Sample | Fault) -> Markup:
    """A row's place as `file:line` (`file:12 (row)` when the unit is not a line), the folder set apart."""
    folder, slash, name = shown(row.file).rpartition("/")
    unit = "" if row.unit == "line" else f" ({row.unit})"
    lead = Markup("<span>{}</span>").format(folder + slash) if slash else ""
    return Markup("{}{}:{}{}").format(lead, name, row.line, unit)


def rows_shown(samples: list[Sample]) -> int:
    """Rows among the samples (a row with several findings gives a sample per finding)."""
    return len({(s.file, s.line) for s in samples})


def measure(sample: Sample) -> str:
    """The measured value of a sample in its unit: `1,387 tokens`; a figure that does not count after its name,
    with two decimals even when it is whole (`score 1.00`, `score 0.85`, `ratio 0.004`); empty when it has none."""
    value, unit = sample.value, sample.measure or ""
    if value is None:
        return ""
    if float(value).is_integer() and (unit in COUNTED or not unit):
        return f"{value:,.0f} {unit}".strip()
    figure = f"{value:,.2f}" if value == 0 or abs(value) >= 0.01 else f"{value:.2g}"
    return f"{unit} {figure}".strip()


def chat_turn(sample: Sample) -> str:
    """The chat turn of a sample: `assistant, turn 3` (turns counted from 1); empty outside chats."""
    turn = "" if sample.turn is None else f"turn {sample.turn + 1}"
    return ", ".join(part for part in (sample.role or "", turn) if part)


def shorten(text: str, width: int = SHORT) -> str:
    """One line of at most `width` characters, cut at a word with an ellipsis."""
    line = " ".join(text.split())
    if len(line) <= width:
        return line
    return line[:width].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def problems(run: RunResult) -> list[CheckResult]:
    """The why table's rows: every failed (not info) or errored check, errored first, then by severity."""
    found = [c for c in run.checks if figures.is_problem(c)]
    return sorted(found, key=lambda c: RANK["errored" if c.status == "errored" else c.severity])


def tiles(run: RunResult) -> list[tuple[str, int]]:
    """Checks per status word, in the tiles' order."""
    counts = Counter(figures.status_word(c) for c in run.checks)
    return [(word, counts[word]) for word, always in TILES if always or counts[word]]


def other_reasons(run: RunResult) -> list[str]:
    """The gate's reasons that are not about one check (unreadable records, a stop, a shard that failed)."""
    about_checks = {f"check {c.id} {how}" for c in run.checks for how in ("failed", "could not run", "warned")}
    return [reason for reason in run.gate.reasons if reason not in about_checks]


def css_string(text: str) -> Markup:
    """`text` as a quoted CSS string (the printed page header): every character but letters, digits, spaces and
    a few marks as a hex escape, so no value can end the string, the rule or the <style> element."""
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in " .-_:") else f"\\{ord(ch):x} " for ch in text)
    return Markup(f'"{safe}"')


def section_test_name(section: type[Section]) -> str:
    """The template test of a section: ClusterListing -> cluster_listing."""
    return "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in section.__name__).lstrip("_")


def _is(section: type[Section]) -> Callable[[object], bool]:
    return lambda details: isinstance(details, section)


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("traingate", "reports/templates"),
                      autoescape=select_autoescape(["html", "j2"], default=True), trim_blocks=True,
                      lstrip_blocks=True, undefined=StrictUndefined, finalize=_finalize)
    env.filters.update(highlight=highlight, number=number, place=place, rows_shown=rows_shown, measure=measure,
                       chat_turn=chat_turn, shorten=shorten, measured=figures.measured,
                       status_word=figures.status_word, tone=figures.tone, css_string=css_string)
    env.tests.update({section_test_name(section): _is(section) for section in SECTIONS})
    env.globals.update(histogram=charts.histogram, bars=charts.bars, coverage=charts.coverage, drift_cells=drift_table.cells,
                       drift_header=drift_table.HEADER)
    return env


def _groups(run: RunResult) -> list[tuple[str, list[Any], list[Any]]]:
    """Per group with checks: those shown open (problems, noted info checks) and those folded (passed, skipped)."""
    out = []
    for group in GROUPS:
        checks = [(c, details_model(c)) for c in run.checks if c.group == group]
        if checks:
            out.append((group, [x for x in checks if x[0].status in ("failed", "errored")],
                        [x for x in checks if x[0].status not in ("failed", "errored")]))
    return out


def render_html(result: RunResult) -> str:
    return _environment().get_template("report.html.j2").render(
        run=result, groups=_groups(result), verdict=figures.verdict_word(result), problems=problems(result),
        tiles=tiles(result), other_reasons=other_reasons(result))


def write_html(result: RunResult, path: str | Path) -> None:
    write_text(path, render_html(result))
