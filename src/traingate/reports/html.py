"""One self-contained HTML file: inline CSS and SVG charts (vl-convert), no scripts, every value escaped."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from traingate.contracts.model import GROUPS
from traingate.reports import charts
from traingate.reports.files import write_text
from traingate.reports.markdown import number
from traingate.results.model import RunResult, Sample


def highlight(sample: Sample) -> Markup:
    """The excerpt with its offending span marked; the text itself is escaped."""
    text = sample.excerpt
    if sample.span is None:
        return escape(text)
    start, end = sample.span
    return Markup("{}<mark>{}</mark>{}").format(text[:start], text[start:end] or "\u2038", text[end:])


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("traingate", "reports/templates"),
                      autoescape=select_autoescape(["html", "j2"], default=True), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["highlight"] = highlight
    env.filters["number"] = number
    env.filters["sample_highlight"] = lambda raw: highlight(Sample(**raw))
    env.globals.update(histogram=charts.histogram, bars=charts.bars, coverage=charts.coverage)
    return env


def render_html(result: RunResult) -> str:
    groups = [(g, [c for c in result.checks if c.group == g]) for g in GROUPS]
    return _environment().get_template("report.html.j2").render(
        run=result, groups=[(g, checks) for g, checks in groups if checks])


def write_html(result: RunResult, path: str | Path) -> None:
    write_text(path, render_html(result))
