"""A feature's share of rows per value against the contract's targets. Bars are sorted by share and labelled
with it; a miss (outside its band, or a required value that never occurs) is red AND labelled `missed`; a
value the contract names that no row holds is a bar of zero length. The target band is outlined in a grey
of more than 3:1 contrast against the page. The axis ends a little past the largest share or band edge, so
small shares stay legible. A feature of more than SHOWN values shows its misses and its largest values up
to SHOWN bars, the rest as one `other (N values)` bar, cut at the axis end (`off scale`) when it is longer
than the rest; the hidden table lists every value."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from markupsafe import Markup

from traingate.reports.figures import percent
from traingate.reports.vega import BLUE, GREY, INK, RED, chart
from traingate.validators.common.details_parts import ShareBand

SHOWN = 15
BAND_EDGE, BAND_FILL = "#6b7280", "#eef1f5"  # the edge: 4.8:1 against white
WIDTH, STEP, LABEL_LIMIT = 260, 18, 160


@dataclass(frozen=True)
class Share:
    value: str
    share: float
    band: ShareBand | None = None
    required: bool = False
    values: int = 1  # > 1: the `other` bar

    @property
    def missed(self) -> bool:
        band = self.band
        outside = band is not None and ((band.min is not None and self.share < band.min)
                                        or (band.max is not None and self.share > band.max))
        return outside or (self.required and self.share == 0)

    def target(self) -> str:
        band, words = self.band, ["required"] if self.required else []
        if band is not None and band.min is not None and band.max is not None:
            words.append(f"{percent(band.min)} to {percent(band.max)}")
        elif band is not None and (band.min is not None or band.max is not None):
            words.append(f"≥ {percent(band.min)}" if band.min is not None else f"≤ {percent(band.max or 0)}")
        return ", ".join(words)


def label(share: float) -> str:
    """24.3%; a small share with enough digits not to read 0.0%."""
    return f"{share:.1%}" if share == 0 or share >= 0.001 else percent(share)


def ranked(shares: Mapping[str, float], targets: Mapping[str, ShareBand], required: Collection[str]) -> list[Share]:
    """Every value seen or named by the contract, largest share first (ties by value)."""
    names = dict.fromkeys([*shares, *targets, *required])
    rows = [Share(n, shares.get(n, 0.0), targets.get(n), n in required) for n in names]
    return sorted(rows, key=lambda r: (-r.share, r.value))


def shown(rows: list[Share]) -> list[Share]:
    """Every miss, then the largest values up to SHOWN bars; the rest as one `other` bar (last)."""
    if len(rows) <= SHOWN:
        return rows
    misses = [r.value for r in rows if r.missed]
    largest = [r.value for r in rows if not r.missed][:max(SHOWN - 1 - len(misses), 0)]
    kept = {*misses, *largest}
    rest = [r for r in rows if r.value not in kept]
    if not rest:
        return rows
    other = Share(f"other ({len(rest):,} values)", sum(r.share for r in rest), values=len(rest))
    return [r for r in rows if r.value in kept] + [other]


def axis_end(bars: list[Share]) -> float:
    """A little past the largest share or band edge drawn (the `other` bar aside: it is cut at the end)."""
    edges = [r.share for r in bars if r.values == 1] + [e for r in bars if r.band for e in (r.band.min, r.band.max) if e]
    return min(1.0, max([*edges, 0.01]) * 1.15)


def _bar_row(rank: int, r: Share, end: float) -> dict[str, object]:
    band, cut = r.band, r.share > end
    words = label(r.share) + (" missed" if r.missed else "") + (" (off scale)" if cut else "")
    return {"rank": rank, "value": r.value, "share": min(r.share, end), "label": words, "missed": r.missed,
            "banded": band is not None, "low": (band.min or 0.0) if band else 0.0,
            "high": band.max if band is not None and band.max is not None else end,
            "colour": RED if r.missed else GREY if r.values > 1 else BLUE}


def spec(bars: list[dict[str, object]], feature: str, end: float) -> dict[str, object]:
    """Bands outlined behind the bars; each bar's share (and `missed`) in a column right of the plot."""
    y = {"field": "value", "type": "nominal", "sort": {"field": "rank", "op": "min"}, "title": None,
         "axis": {"labelLimit": LABEL_LIMIT}}
    x = {"field": "share", "type": "quantitative", "title": f"share of rows ({feature})",
         "scale": {"domain": [0, end], "nice": False}, "axis": {"format": "~%", "tickCount": 5}}
    colour = {"field": "colour", "type": "nominal", "scale": None, "legend": None}
    return {"width": WIDTH, "height": {"step": STEP}, "data": {"values": bars}, "encoding": {"y": y}, "layer": [
        {"transform": [{"filter": "datum.banded"}], "mark": {
            "type": "bar", "fill": BAND_FILL, "stroke": BAND_EDGE, "strokeWidth": 1.5, "height": STEP - 4},
         "encoding": {"x": {**x, "field": "low"}, "x2": {"field": "high"}}},
        {"mark": {"type": "bar", "height": 8}, "encoding": {"x": x, "color": colour}},
        {"transform": [{"filter": "datum.share == 0"}], "mark": {"type": "tick", "orient": "vertical",
                                                                  "thickness": 2, "size": 10},
         "encoding": {"x": x, "color": colour}},  # a bar of zero length, marked
        {"mark": {"type": "text", "align": "left", "x": WIDTH + 6, "fontSize": 11, "color": INK},
         "encoding": {"text": {"field": "label"},
                      "fontWeight": {"condition": {"test": "datum.missed", "value": "bold"}, "value": "normal"}}}]}


def coverage(shares: Mapping[str, float], targets: Mapping[str, ShareBand], feature: str,
             required: Collection[str] | None = None) -> Markup:
    """The bars, the bands, the labels; every value in the table beside it."""
    rows = ranked(shares, targets, required or ())
    drawn = shown(rows)
    end = axis_end(drawn)
    misses = sum(r.missed for r in rows)
    what = f"coverage of {feature}: share of rows per value, {len(rows):,} values, {misses:,} missed"
    table_rows = [(r.value, percent(r.share), r.target(), "missed" if r.missed else "") for r in rows]
    return chart(spec([_bar_row(i, r, end) for i, r in enumerate(drawn)], feature, end), what,
                 f"{feature}: share of rows per value", ("value", "share", "target", "missed"), table_rows)
