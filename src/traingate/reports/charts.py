"""Charts for the HTML report: Vega-Lite specifications rendered to inline SVG by vl-convert (offline,
no browser, no CDN). They draw values the run already holds; nothing is computed here."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from markupsafe import Markup

from traingate.errors import MissingDependencyError
from traingate.reports.sanitize import visible, visible_all
from traingate.validators.common.details import ShareBand

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
BLUE, RED, GREY, PURPLE = "#3b6fb6", "#c0392b", "#d9dde3", "#8a5cb8"


@lru_cache(maxsize=1)
def _converter() -> Any:
    try:
        import vl_convert
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise MissingDependencyError("the HTML report's charts", "core", "vl-convert-python") from exc
    return vl_convert


def svg(spec: dict[str, Any], label: str) -> Markup:
    """Inline SVG of a Vega-Lite spec; vl-convert escapes every text it draws. Every string in the spec is made
    visible first: a control character in a drawn value makes vl-convert abort the whole process."""
    safe = visible_all({"$schema": SCHEMA, "config": {"view": {"stroke": None}}, **spec})
    drawn: str = _converter().vegalite_to_svg(safe)
    return Markup(drawn.replace("<svg ", f'<svg role="img" aria-label="{Markup.escape(visible(label))}" ', 1))


def histogram(edges: list[float], counts: list[int], title: str) -> Markup:
    """Bars labelled by their lower edge; the last edge (runs since 1.1 hold one more edge than bins) in the title."""
    rows = [{"from": f"{edge:g}", "count": count} for edge, count in zip(edges, counts)]
    axis = f"{title} ({edges[0]:,.0f} to {edges[-1]:,.0f})" if len(edges) > len(counts) else title
    return svg({"width": 280, "height": 90, "data": {"values": rows}, "mark": {"type": "bar", "color": BLUE},
                "encoding": {"x": {"field": "from", "type": "ordinal", "sort": None, "title": axis,
                                   "axis": {"labelOverlap": True}},
                             "y": {"field": "count", "type": "quantitative", "title": None}}}, f"histogram of {title}")


def bars(counts: dict[str, int], title: str, color: str = BLUE, prefix: str = "") -> Markup:
    """Horizontal bars: rows per reason, clusters per size ('size 2')."""
    rows = [{"name": f"{prefix}{name}", "count": count} for name, count in counts.items()]
    return svg({"width": 260, "height": {"step": 14}, "data": {"values": rows},
                "layer": [{"mark": {"type": "bar", "color": color}},
                          {"mark": {"type": "text", "align": "left", "dx": 3, "fontSize": 9},
                           "encoding": {"text": {"field": "count"}}}],
                "encoding": {"y": {"field": "name", "type": "nominal", "sort": None, "title": None},
                             "x": {"field": "count", "type": "quantitative", "title": title,
                                   "axis": {"tickMinStep": 1, "format": "~s"}}}}, title)


def coverage(shares: Mapping[str, float], targets: Mapping[str, ShareBand], feature: str) -> Markup:
    """Each value's share as a bar, its target band (if any) drawn behind it in grey; misses in red."""
    names = list(shares) + [n for n in targets if n not in shares]
    rows = []
    for name in names:
        band = targets.get(name)
        low, high = (band.min, band.max) if band is not None else (None, None)
        share = shares.get(name, 0.0)
        missed = (low is not None and share < low) or (high is not None and share > high)
        rows.append({"value": name, "share": share, "low": low or 0.0, "high": 1.0 if high is None else high,
                     "banded": band is not None, "missed": missed})
    y = {"field": "value", "type": "nominal", "sort": None, "title": None}
    return svg({"width": 260, "height": {"step": 16}, "data": {"values": rows}, "layer": [
        {"transform": [{"filter": "datum.banded"}], "mark": {"type": "bar", "color": GREY, "size": 12},
         "encoding": {"y": y, "x": {"field": "low", "type": "quantitative", "scale": {"domain": [0, 1]},
                                    "axis": {"format": "%"}, "title": f"share of rows ({feature})"}, "x2": {"field": "high"}}},
        {"mark": {"type": "bar", "size": 6}, "encoding": {
            "y": y, "x": {"field": "share", "type": "quantitative"},
            "color": {"field": "missed", "type": "nominal", "scale": {"domain": [False, True], "range": [BLUE, RED]},
                      "legend": None}}}]}, f"coverage of {feature}")
