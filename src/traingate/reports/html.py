"""One self-contained HTML file: inline CSS and SVG charts (vl-convert), no scripts, every value escaped.

Each check's details are parsed into the model its check type registered (contracts.registry.details_model),
and the templates read that model's fields: a section is drawn for the models that subclass it (the tests
`reason_counts`, `cluster_listing`, ... of validators/common/details.py's sections). Undefined names fail the
render (StrictUndefined), so a field renamed in a model cannot silently drop a part of the report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from traingate.contracts.model import GROUPS
from traingate.contracts.registry import details_model
from traingate.reports import charts
from traingate.reports.files import write_text
from traingate.reports.markdown import number
from traingate.results.model import RunResult, Sample
from traingate.validators.common.details import SECTIONS, Section


def highlight(sample: Sample) -> Markup:
    """The excerpt with its offending span marked; the text itself is escaped."""
    text = sample.excerpt
    if sample.span is None:
        return escape(text)
    start, end = sample.span
    return Markup("{}<mark>{}</mark>{}").format(text[:start], text[start:end] or "\u2038", text[end:])


def section_test_name(section: type[Section]) -> str:
    """The template test of a section: ClusterListing -> cluster_listing."""
    return "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in section.__name__).lstrip("_")


def _is(section: type[Section]) -> Callable[[object], bool]:
    return lambda details: isinstance(details, section)


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("traingate", "reports/templates"),
                      autoescape=select_autoescape(["html", "j2"], default=True), trim_blocks=True,
                      lstrip_blocks=True, undefined=StrictUndefined)
    env.filters["highlight"] = highlight
    env.filters["number"] = number
    env.tests.update({section_test_name(section): _is(section) for section in SECTIONS})
    env.globals.update(histogram=charts.histogram, bars=charts.bars, coverage=charts.coverage)
    return env


def render_html(result: RunResult) -> str:
    groups = [(g, [(c, details_model(c)) for c in result.checks if c.group == g]) for g in GROUPS]
    return _environment().get_template("report.html.j2").render(
        run=result, groups=[(g, checks) for g, checks in groups if checks])


def write_html(result: RunResult, path: str | Path) -> None:
    write_text(path, render_html(result))
