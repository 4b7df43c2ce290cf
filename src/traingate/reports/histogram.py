"""A distribution's histogram, drawn honestly. The run's bins are 1 wide below 64 and then 16 per doubling
(engine/stats_bins.py), merged into at most 40 for display: bins of unequal width. Each bar spans its bin on a
symlog x axis (log of 1 + value: a doubling of a long text is as wide as one of a short one, and 0 has a
place), and its height is the bin's rows per doubling of 1 + value (rows / log2((1 + to) / (1 + from))), so
its AREA is its row count: a wide bin is not drawn taller for holding more values. The contract's limits on
the values (Distribution.limits) are rules on the axis, each labelled with its check and value."""

from __future__ import annotations

import math

from markupsafe import Markup

from traingate.reports.vega import BLUE, INK, RED, chart
from traingate.results.model import Distribution, Limit

WIDTH, HEIGHT = 300, 100
UNITS = {"chars": "characters", "tokens": "tokens"}
ROWS_OF = {"messages": "conversation"}  # a field whose figure per row sums several values
Y_TITLE = "rows per doubling"


def unit_title(name: str) -> str:
    """What the x axis counts: tokens.response -> `tokens per response`, turns -> `turns per conversation`."""
    if name == "turns":
        return "turns per conversation"
    unit, _, field = name.partition(".")
    return f"{UNITS[unit]} per {ROWS_OF.get(field, field)}" if unit in UNITS and field else name


def counts_values(name: str) -> bool:
    return name == "turns" or name.partition(".")[0] in UNITS


def doublings(low: float, high: float) -> float:
    """The width of [low, high] on the axis: doublings of 1 + value."""
    return math.log2((1 + high) / (1 + low))


def bins(d: Distribution) -> list[tuple[float, float, int]]:
    """(from, to, rows) per bin. A run written before 1.1 holds lower edges only: its last bin ends at the maximum."""
    edges, counts = list(d.histogram.edges), d.histogram.counts
    if len(edges) == len(counts) and counts:
        top = max(d.max if d.max is not None else edges[-1], edges[-1])
        edges.append(top if top > edges[-1] else edges[-1] + 1)
    return [(edges[i], edges[i + 1], n) for i, n in enumerate(counts)]


def ticks(low: float, high: float) -> list[float] | None:
    """Round values on the axis: 0, 1, 2, 5, 10, 20, 50, ... inside [low, high]; when those are more than 7,
    0, 1, 5, 10, 50, ..., then powers of ten, then every other one; None (the renderer's own round ticks) when
    fewer than two fall inside."""
    for steps, every in (((1, 2, 5), 1), ((1, 5), 1), ((1,), 1), ((1,), 2), ((1,), 3)):
        inside = [0.0] + [m * 10.0**e for e in range(0, 16, every) for m in steps]
        inside = [t for t in inside if low <= t <= high]
        if len(inside) <= 7:
            break
    return inside if len(inside) >= 2 else None


def span(low: float, high: float, last: bool, whole: bool) -> str:
    """A bin's values in words: whole numbers in [low, high) (the last bin also `high`), or its edges."""
    first, end = math.ceil(low), math.floor(high) if last else math.ceil(high) - 1
    if not whole or end < first:
        return f"{low:,.6g} to {high:,.6g}"
    return f"{first:,}" if end == first else f"{first:,} to {end:,}"


def limit_word(limit: Limit) -> str:
    return f"{limit.check}: {limit.kind} {limit.value:,.6g}"


def _rules(limits: list[Limit], low: float, high: float) -> list[dict[str, object]]:
    """A rule per limit, its label beside it (left of it in the right part of the axis), stacked downwards."""
    layers: list[dict[str, object]] = []
    for i, limit in enumerate(limits):
        place = doublings(low, limit.value) / max(doublings(low, high), 1e-12)
        right = place > 0.6
        layers.append({"data": {"values": [{"value": limit.value, "label": limit_word(limit)}]}, "layer": [
            {"mark": {"type": "rule", "color": RED, "strokeDash": [4, 2], "strokeWidth": 1.5},
             "encoding": {"x": {"field": "value", "type": "quantitative"}}},
            {"mark": {"type": "text", "align": "right" if right else "left", "dx": -3 if right else 3,
                      "baseline": "top", "fontSize": 10, "color": INK, "y": 2 + 12 * i},
             "encoding": {"x": {"field": "value", "type": "quantitative"}, "text": {"field": "label"}}}]})
    return layers


def histogram(d: Distribution) -> Markup:
    """Bars of rows per doubling over a symlog axis of the values, the limits as rules; its values in a table."""
    drawn = bins(d)
    low = min([drawn[0][0], *(limit.value for limit in d.limits)])
    high = max([drawn[-1][1], *(limit.value for limit in d.limits)])
    title = unit_title(d.name)
    rows = [{"from": a, "to": b, "rows": n, "density": n / doublings(a, b)} for a, b, n in drawn]
    x_axis: dict[str, object] = {"format": ",d", "labelFlush": True, "labelOverlap": True}
    if (values := ticks(low, high)) is not None:
        x_axis["values"] = values
    else:
        x_axis.update(tickCount=4, tickMinStep=1)
    top = max(r["density"] for r in rows) * (1 + 0.15 * len(d.limits))  # room for the limits' labels
    y_scale = {"domainMax": top} if d.limits else {}
    bars = {"data": {"values": rows}, "mark": {"type": "rect", "color": BLUE}, "encoding": {
        "x": {"field": "from", "type": "quantitative", "title": title, "axis": x_axis,
              "scale": {"type": "symlog", "domain": [low, high], "nice": False, "zero": False}},
        "x2": {"field": "to"},
        "y": {"field": "density", "type": "quantitative", "title": Y_TITLE, "scale": y_scale,
              "axis": {"format": ",~r", "tickCount": 4}}, "y2": {"datum": 0}}}
    whole = counts_values(d.name)
    limits = "".join(f"; {limit_word(limit)}" for limit in d.limits)
    label = (f"histogram of {d.name}: {title}, {d.count:,} values in {len(drawn)} bins from {low:,.6g} to "
             f"{high:,.6g} on a log scale, each bar's area its rows{limits}")
    table_rows = [(span(a, b, i == len(drawn) - 1, whole), f"{n:,}") for i, (a, b, n) in enumerate(drawn)]
    return chart({"width": WIDTH, "height": HEIGHT, "layer": [bars, *_rules(d.limits, low, high)]}, label,
                 f"{d.name}: rows per bin of {title}{limits}", (title, "rows"), table_rows)
