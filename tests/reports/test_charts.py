"""The charts draw what the run holds, honestly: read back from the SVG vl-convert draws, each histogram bar
spans its bin on the symlog axis and its area is the rows numpy counts in that bin; limits are rules where the
limit is; coverage bars are sorted by share, a required value no row holds is a bar of zero length; every
chart carries a hidden table of its values."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest

from tests.conftest import contract_text
from traingate.reports.charts import bars, coverage, histogram
from traingate.reports.histogram import WIDTH, ticks, unit_title
from traingate.reports.html import render_html
from traingate.results import RunResult
from traingate.results.model import Distribution, Histogram, Limit
from traingate.validators.common.details_parts import ShareBand

NUMBER = r"(-?[\d.]+(?:e-?\d+)?)"
# Token counts of the responses: bins below 64 (exact, merged 3 wide for display), a bin at 64 and bins above.
LENGTHS = [1] * 5 + [2] * 3 + [10] * 7 + [50] * 4 + [64] * 2 + [100] * 6 + [300] * 3 + [1000]
CHECKS = ("  format:\n    - type: max_tokens\n      limit: 512\n      per: field\n      fields: [response]\n"
          "    - type: min_tokens\n      limit: 2\n      fields: [response]\n"
          "    - type: max_tokens\n      limit: 4096\n")  # per row over prompt and response: no distribution


def groups(svg: str, role: str) -> list[str]:
    """The inner text of each `<g class="mark-... role-...">` group of a role (mark groups do not nest here)."""
    return re.findall(rf'<g class="mark-\w+ {role}[^"]*"[^>]*>(.*?)</g>', svg, flags=re.S)


def axis_labels(svg: str) -> tuple[list[tuple[float, str]], list[tuple[float, str]]]:
    """(x axis labels as (x, text), y axis labels as (y, text)): y labels stand left of the axis (x < 0)."""
    x_labels, y_labels = [], []
    for group in groups(svg, "role-axis-label"):
        for a, b, text in re.findall(rf'transform="translate\({NUMBER},{NUMBER}\)"[^>]*>([^<]*)</text>', group):
            (y_labels if float(a) < 0 else x_labels).append((float(b) if float(a) < 0 else float(a), text))
    return x_labels, y_labels


def fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares line pixel = a + b * u through (u, pixel), checked to pass through every point."""
    u, px = np.array(points).T
    b, a = np.polyfit(u, px, 1)
    assert np.allclose(a + b * u, px, atol=1e-6), points
    return float(a), float(b)


def rects(svg: str, layer: str) -> list[tuple[float, float, float, float]]:
    """(x, y, width, height) of each rect a layer's marks draw: paths `M x,y h w v h h -w Z`."""
    group = next(g for g in re.findall(rf'<g class="mark-rect role-mark {layer}"[^>]*>(.*?)</g>', svg, flags=re.S))
    found = re.findall(rf'd="M{NUMBER},{NUMBER}h{NUMBER}v{NUMBER}h', group)
    return [tuple(map(float, f)) for f in found]  # type: ignore[misc]


def svg_of(markup: str) -> str:
    return re.search(r"<svg\b.*?</svg>", markup, flags=re.S).group(0)  # type: ignore[union-attr]


@pytest.fixture
def lengths_run(run: Callable[..., RunResult]) -> RunResult:
    rows = [{"prompt": "q", "response": " ".join(["w"] * n)} for n in LENGTHS]
    return run(contract_text("sft", CHECKS, extra="  tokenizer: whitespace\n"), rows)


def test_each_bar_spans_its_bin_on_the_log_axis_and_its_area_is_its_rows(lengths_run: RunResult) -> None:
    d = next(d for d in lengths_run.distributions if d.name == "tokens.response")
    edges = d.histogram.edges
    counted = np.histogram(LENGTHS, bins=edges)[0]  # numpy's count of the raw lengths in the run's bins
    assert counted.sum() == len(LENGTHS) and len(edges) > 10 and edges[0] < 64 < edges[-1]
    svg = svg_of(histogram(d))
    x_labels, y_labels = axis_labels(svg)
    # The x axis: round ticks at 0, 1, 5, 10, ... whose places lie on one line in log(1 + value): a symlog axis.
    values = [float(t.replace(",", "")) for _, t in x_labels]
    assert values == ticks(edges[0], edges[-1]) and values[:3] == [1, 5, 10] and "1,000" in [t for _, t in x_labels]
    a, b = fit([(math.log1p(v), x) for (x, _), v in zip(x_labels, values)])
    _, per_row = fit([(float(t.replace(",", "")), y) for y, t in y_labels])  # pixels per (row per doubling)
    drawn = rects(svg, "layer_0_marks")
    assert len(drawn) == len(counted)
    for (x, _, w, h), lo, hi, rows in zip(drawn, edges, edges[1:], counted):
        assert math.expm1((x - a) / b) == pytest.approx(lo, rel=1e-6, abs=1e-6)  # the bar starts at its bin
        assert math.expm1((x + w - a) / b) == pytest.approx(hi, rel=1e-6)  # and ends at the next edge
        assert w == pytest.approx(b * math.log((1 + hi) / (1 + lo)), rel=1e-9)  # its width: the bin's, in log units
        rows_per_doubling = h / -per_row
        assert rows_per_doubling * math.log2((1 + hi) / (1 + lo)) == pytest.approx(rows, rel=1e-6, abs=1e-9)
    assert ">rows per doubling</text>" in svg and ">tokens per response</text>" in svg


def test_the_contracts_limits_are_rules_where_the_limit_is(lengths_run: RunResult) -> None:
    by_name = {d.name: d for d in lengths_run.distributions}
    d = by_name["tokens.response"]
    assert [(limit.check, limit.kind, limit.value) for limit in d.limits] == [
        ("format.max_tokens", "max", 512), ("format.min_tokens", "min", 2)]
    assert not any(other.limits for name, other in by_name.items() if name != "tokens.response")
    svg = svg_of(histogram(d))
    x_labels, _ = axis_labels(svg)
    a, b = fit([(math.log1p(float(t.replace(",", ""))), x) for x, t in x_labels])
    rules = [float(x) for g in groups(svg, "role-mark") if "stroke-dasharray" in g
             for x in re.findall(rf'<line transform="translate\({NUMBER},0\)"', g)]
    assert [math.expm1((x - a) / b) for x in rules] == pytest.approx([512, 2], rel=1e-9)
    assert ">format.max_tokens: max 512</text>" in svg and ">format.min_tokens: min 2</text>" in svg
    html = render_html(lengths_run)
    assert "format.max_tokens: max 512" in html.split('aria-label="histogram of tokens.response')[1].split('"')[0]


def test_a_limit_off_the_data_widens_the_axis_to_show_it() -> None:
    d = Distribution(name="chars.prompt", count=4, sum=40.0, min=5, max=20, mean=10.0,
                     histogram=Histogram(edges=[5, 10, 20], counts=[2, 2]),
                     limits=[Limit(check="format.max_chars", kind="max", value=2000)])
    svg = svg_of(histogram(d))
    x_labels, _ = axis_labels(svg)
    assert [t for _, t in x_labels] == ["5", "10", "50", "100", "500", "1,000"] and ">characters per prompt</text>" in svg
    a, b = fit([(math.log1p(float(t.replace(",", ""))), x) for x, t in x_labels])
    assert math.expm1((WIDTH - a) / b) == pytest.approx(2000)  # the axis ends at the limit


def test_the_hidden_table_lists_every_bin_as_whole_values_and_the_aria_label_says_what_it_is() -> None:
    d = Distribution(name="turns", count=9, sum=30.0, min=1, max=9, mean=3.3, limits=[],
                     histogram=Histogram(edges=[1, 4, 7, 9], counts=[6, 0, 3]))
    markup = str(histogram(d))
    assert '<div class="sr-only"><table><caption>turns: rows per bin of turns per conversation</caption>' in markup
    assert "<tr><td>1 to 3</td><td>6</td></tr><tr><td>4 to 6</td><td>0</td></tr><tr><td>7 to 9</td><td>3</td></tr>" in markup
    assert ('aria-label="histogram of turns: turns per conversation, 9 values in 3 bins from 1 to 9 on a log scale, '
            "each bar&#39;s area its rows") in markup
    assert [h == 0 for _, _, _, h in rects(svg_of(markup), "layer_0_marks")] == [False, True, False]


def test_a_run_written_before_upper_edges_ends_its_last_bar_at_the_maximum() -> None:
    d = Distribution(name="tokens.prompt", count=3, sum=0.0, min=2, max=500, mean=1.0,
                     histogram=Histogram(edges=[2, 64], counts=[2, 1]))
    assert "<tr><td>64 to 500</td><td>1</td></tr>" in str(histogram(d))


@pytest.mark.parametrize(("name", "title"), [("tokens.response", "tokens per response"), ("chars.prompt",
                         "characters per prompt"), ("turns", "turns per conversation"), ("tokens.messages",
                         "tokens per conversation"), ("other", "other")])
def test_the_axis_says_what_it_counts(name: str, title: str) -> None:
    assert unit_title(name) == title


def test_coverage_bars_are_sorted_by_share_and_a_missing_required_value_is_a_zero_bar() -> None:
    shares = {"chat": 0.2, "code": 0.5, "math": 0.3}
    targets = {"math": ShareBand(min=0.24, max=0.26), "safety": ShareBand(min=0.05, max=None)}
    markup = str(coverage(shares, targets, "topic", ["refusal"]))
    svg = svg_of(markup)
    _, y_labels = axis_labels(svg)
    order = [name for _, name in sorted(y_labels)]
    assert order == ["code", "math", "chat", "refusal", "safety"]  # by share, ties by name
    drawn = sorted(rects(svg, "layer_1_marks"), key=lambda r: r[1])
    widths = [w for _, _, w, _ in drawn]
    assert widths[3] == widths[4] == 0 and widths[0] > widths[1] > widths[2] > 0
    assert widths[1] / widths[0] == pytest.approx(0.3 / 0.5)  # lengths proportional to shares on a linear axis
    labels = re.findall(r">([^<]*%[^<]*)</text>", "".join(groups(svg, "role-mark")))
    assert labels == ["50.0%", "30.0% missed", "20.0%", "0.0% missed", "0.0% missed"]
    assert "<tr><td>refusal</td><td>0.00%</td><td>required</td><td>missed</td></tr>" in markup
    assert "<tr><td>math</td><td>30.00%</td><td>24.00% to 26.00%</td><td>missed</td></tr>" in markup
    assert 'aria-label="coverage of topic: share of rows per value, 5 values, 3 missed"' in markup


def test_a_narrow_band_on_small_shares_is_drawn_wide_on_a_zoomed_axis() -> None:
    shares = {f"v{i:02d}": 1 / 57 for i in range(57)}
    svg = svg_of(coverage(shares, {"v00": ShareBand(min=0.24, max=0.26)}, "subject"))
    bands = rects(svg, "layer_0_marks")
    assert len(bands) == 1 and bands[0][2] > 10  # the 2-point band: more than 10 px wide
    assert 'stroke="#6b7280"' in svg  # its outline: 4.8:1 against white


def test_a_large_feature_shows_its_top_values_its_misses_and_one_other_bar() -> None:
    shares = {f"v{i:02d}": (60 - i) / 1830 for i in range(60)}
    markup = str(coverage(shares, {"v59": ShareBand(min=0.1, max=None)}, "subject"))
    svg = svg_of(markup)
    _, y_labels = axis_labels(svg)
    order = [name for _, name in sorted(y_labels)]
    assert order == [f"v{i:02d}" for i in range(13)] + ["v59", "other (46 values)"]
    assert markup.count("<tr><td>v") == 60 and ">missed</td>" in markup  # the table holds every value


def test_every_bar_chart_carries_its_values() -> None:
    markup = str(bars({"over_512_tokens": 1_234, "<b>": 2}, "rows per reason of c"))
    assert 'aria-label="rows per reason of c: 2 bars, each labelled with its count"' in markup
    assert "<tr><td>over_512_tokens</td><td>1,234</td></tr><tr><td>&lt;b&gt;</td><td>2</td></tr>" in markup


def test_quantiles_of_counts_are_whole_numbers(lengths_run: RunResult) -> None:
    saved = lengths_run.model_dump()
    for d in saved["distributions"]:
        d["quantiles"] = {"p50": 1387.0, "p90": 2000.0, "p99": 2500.4}
    html = render_html(RunResult.model_validate(saved))
    assert "p50 1,387 · p90 2,000 · p99 2,500 (exact)" in html and "1,387.0" not in html
    assert html.count('<div class="sr-only"><table>') >= len(saved["distributions"]) + 2  # histograms, reasons of 2 checks
