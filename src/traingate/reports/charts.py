"""Charts for the HTML report: Vega-Lite specifications rendered to inline SVG by vl-convert (reports/vega.py),
each with a visually hidden table of the values it draws. They draw values the run already holds: a
distribution's histogram (reports/histogram.py), a feature's shares against its targets (reports/shares.py),
counts as horizontal bars (here)."""

from __future__ import annotations

from markupsafe import Markup

from traingate.reports.histogram import histogram
from traingate.reports.shares import coverage
from traingate.reports.vega import BLUE, chart

__all__ = ["bars", "coverage", "histogram"]
FEW = 3  # a count axis up to this is ticked at each whole number


def bars(counts: dict[str, int], title: str, color: str = BLUE, prefix: str = "",
         header: tuple[str, str] = ("reason", "rows")) -> Markup:
    """Horizontal bars, each labelled with its count: rows per reason, clusters per size ('size 2'); `header`
    names the columns of the hidden table of its values."""
    rows = [{"name": f"{prefix}{name}", "count": count, "label": f"{count:,}"} for name, count in counts.items()]
    axis: dict[str, object] = {"tickMinStep": 1, "format": ",d", "labelOverlap": True}
    top = max(counts.values(), default=0)
    if top < FEW:  # the renderer ticks 0, 0.5, 1, 1.5, 2 below 3 whatever tickMinStep says: whole counts only
        axis["values"] = list(range(top + 1))
    spec = {"width": 260, "height": {"step": 14}, "data": {"values": rows},
            "layer": [{"mark": {"type": "bar", "color": color}},
                      {"mark": {"type": "text", "align": "left", "dx": 3, "fontSize": 10},
                       "encoding": {"text": {"field": "label"}}}],
            "encoding": {"y": {"field": "name", "type": "nominal", "sort": None, "title": None,
                               "axis": {"labelLimit": 150}},
                         "x": {"field": "count", "type": "quantitative", "title": title,
                               "axis": axis}}}
    table_rows = [(r["name"], r["label"]) for r in rows]
    what = f"{title}: {len(rows):,} bar{'' if len(rows) == 1 else 's'}, each labelled with its count"
    return chart(spec, what, title, header, table_rows)
