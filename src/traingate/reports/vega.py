"""Drawing a chart: a Vega-Lite specification rendered to inline SVG by vl-convert (offline, no browser, no
CDN), and the visually hidden table beside it that holds the values it draws, for a screen reader. vl-convert
comes with the charts extra: without it the report still renders, each chart replaced by a note saying so and its
values shown as a table."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape

from traingate.errors import MissingDependencyError
from traingate.reports.sanitize import visible, visible_all

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
BLUE, RED, GREY, PURPLE, INK = "#3b6fb6", "#c0392b", "#8b94a3", "#8a5cb8", "#33383f"
# The whole chart is one image with its own label and table: its marks and axes carry no labels of their own.
CONFIG = {"view": {"stroke": None}, "aria": False, "font": "sans-serif",
          "axis": {"labelFontSize": 11, "titleFontSize": 11, "titleFontWeight": "normal", "titleColor": INK}}


_ROLES = re.compile(r' (?:role|aria-roledescription)="[^"]*"')


@lru_cache(maxsize=1)
def _converter() -> Any:
    """vl-convert (the charts extra), or None when it is not installed: the report then shows each chart's values."""
    try:
        import vl_convert
    except ImportError:
        return None
    return vl_convert


def drawn() -> bool:
    """Whether charts are drawn here (vl-convert-python is installed)."""
    return _converter() is not None


def svg(spec: dict[str, Any], label: str) -> Markup:
    """Inline SVG of a Vega-Lite spec; vl-convert escapes every text it draws. Every string in the spec is made
    visible first: a control character in a drawn value makes vl-convert abort the whole process."""
    converter = _converter()
    if converter is None:
        raise MissingDependencyError("the HTML report's charts", "charts", "vl-convert-python")
    safe = visible_all({"$schema": SCHEMA, "config": CONFIG, **spec})
    drawn = _ROLES.sub("", converter.vegalite_to_svg(safe))  # one image: its parts are no objects of their own
    return Markup(drawn.replace("<svg ", f'<svg role="img" aria-label="{escape(visible(label))}" ', 1))


def table(caption: str, header: Sequence[str], rows: Sequence[Sequence[object]], hidden: bool = True) -> Markup:
    """The chart's values as a table only a screen reader sees (`hidden`, beside a drawn chart); every cell escaped.
    The table sits in a box of the page's `.sr-only` class, which clips it: a table is as wide as its longest value
    whatever width it is given, and an absolutely placed one that no box clips widens the page (57 long values
    scroll a phone's page sideways)."""
    head = Markup("").join(Markup("<th>{}</th>").format(visible(str(h))) for h in header)
    body = Markup("").join(Markup("<tr>{}</tr>").format(Markup("").join(
        Markup("<td>{}</td>").format(visible(str(cell))) for cell in row)) for row in rows)
    return Markup('<div class="{}"><table><caption>{}</caption><tr>{}</tr>{}</table></div>').format(
        "sr-only" if hidden else "chart-values", visible(caption), head, body)


NOT_DRAWN = ("Chart not drawn: vl-convert-python is not installed (pip install 'traingate[charts]' draws it). "
             "Its values:")


def chart(spec: dict[str, Any], label: str, caption: str, header: Sequence[str],
          rows: Sequence[Sequence[object]]) -> Markup:
    """The SVG and, beside it, its values; without vl-convert, a note saying so and the values shown as a table."""
    if not drawn():
        return Markup('<p class="chart-missing">{}</p>').format(NOT_DRAWN) + table(caption, header, rows, hidden=False)
    return svg(spec, label) + table(caption, header, rows)
