"""Text from the data on the HTML page reads as it is: a bidirectional override cannot reorder what an evidence
card shows (`invoice_\\u202egnp.exe` is not drawn as `invoice_exe.png`), a control character is a visible escape
as in the charts and the terminal, and a figure of a sample or a check reads in its unit."""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.conftest import contract_text
from traingate.reports import figures
from traingate.reports.charts import bars
from traingate.reports.html import highlight, measure, render_html
from traingate.results import RunResult
from traingate.results.model import CheckResult, Sample

# Overrides and isolates reorder the text around them; C0 and C1 controls drive a terminal or draw as boxes.
HIDING = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\x1b\x07\x9b"


def test_a_sample_shows_overrides_and_controls_as_escapes_and_keeps_its_mark() -> None:
    sample = Sample(file="f", line=1, reason="placeholder", excerpt="invoice_\u202egnp.exe {{name}} \x1b[31m\tok\n",
                    span=(17, 25))
    shown = str(highlight(sample))
    assert shown == "invoice_\\u202egnp.exe <mark>{{name}}</mark> \\x1b[31m\tok\n"
    marked = Sample(file="f", line=1, reason="control_char", excerpt="a\x1bb", span=(1, 2))
    assert str(highlight(marked)) == "a<mark>\\x1b</mark>b"


def test_no_text_of_the_data_reaches_the_page_with_an_override_or_a_control(run: Callable[..., RunResult]) -> None:
    hostile = "invoice_\u202egnp.exe \x1b[31mRED\x1b[0m \u2066x\u2069 {{name}}"
    rows = [{"prompt": f"{hostile} {i}", "response": f"{hostile} done", "topic": hostile} for i in range(3)]
    checks = ("  format:\n    - type: placeholders\n    - type: encoding\n  uniqueness:\n    - type: exact_duplicates\n"
              "      on: [response]\n  coverage:\n    - type: distribution\n      feature: topic\n      required: [other]\n")
    result = run(contract_text("sft", checks), rows)
    assert {c.id: c.status for c in result.checks} == {
        "format.placeholders": "failed", "format.encoding": "failed", "uniqueness.exact_duplicates": "failed",
        "coverage.distribution": "failed"}
    html = render_html(result)
    assert [hex(ord(ch)) for ch in HIDING if ch in html] == []
    assert "invoice_\\u202egnp.exe \\x1b[31mRED\\x1b[0m \\u2066x\\u2069" in html
    cards = re.findall(r'<pre class="sample" tabindex="0">(.*?)</pre>', html, re.S)
    assert cards and all("invoice_\\u202egnp.exe" in card for card in cards)


def test_a_score_reads_as_a_score_even_when_it_is_whole() -> None:
    def at(value: float, unit: str) -> str:
        return measure(Sample(file="f", line=1, reason="r", value=value, measure=unit))

    assert at(1.0, "score") == "score 1.00" and at(0.6, "score") == "score 0.60"
    assert at(120.0, "ratio") == "ratio 120.00" and at(0.004, "ratio") == "ratio 0.004"
    assert at(3034.0, "tokens") == "3,034 tokens" and at(2.0, "chars") == "2 chars"


def expectation(metric: str, value: float, status: str = "failed") -> CheckResult:
    return CheckResult(id="expect_column_values_to_be_unique(prompt)", group="uniqueness", type="expectation",
                       severity="warn", status=status, metric=metric, value=value, rows=2016, findings=38,
                       message="38 of 2016 values unexpected (1.88%); mostly 1.0")


def test_an_expectations_share_reads_in_percent_and_an_observed_figure_as_observed() -> None:
    assert figures.measured(expectation("unexpected_share", 38 / 2016)) == "1.88% unexpected"
    assert figures.measured(expectation("unexpected_share", 0.0, "passed")) == "0.00% unexpected"
    assert figures.measured(expectation("column_mean_to_be_between", 12.5)) == "observed 12.5"
    assert figures.measured(expectation("table_row_count_to_be_between", 2016)) == "observed 2,016"


def test_a_bar_charts_hidden_table_names_both_its_columns() -> None:
    reasons = str(bars({"over_1024_tokens": 6}, "rows per reason of format.max_tokens"))
    assert "</caption><tr><th>reason</th><th>rows</th></tr><tr><td>over_1024_tokens</td><td>6</td></tr>" in reasons
    sizes = str(bars({"2": 10}, "cluster sizes of c", prefix="size ", header=("cluster size", "clusters")))
    assert "</caption><tr><th>cluster size</th><th>clusters</th></tr><tr><td>size 2</td><td>10</td></tr>" in sizes


def test_the_why_heading_counts_checks_in_the_tiles_words(run: Callable[..., RunResult]) -> None:
    rows = [{"prompt": "p", "response": "  r  "}, {"prompt": "", "response": "s"}]
    checks = ("  format:\n    - type: whitespace\n      severity: warn\n    - type: empty_text\n"
              "  consistency:\n    - type: preference_consistency\n")
    html = render_html(run(contract_text("sft", checks), rows))
    assert '<h2 id="why-h">Why: 1 failed, 1 failed (warn), 1 errored</h2>' in html
    tiles = re.findall(r"<li><b>(\d+)</b>([^<]+)</li>", html)
    assert tiles[:3] == [("1", "failed"), ("1", "failed (warn)"), ("1", "errored")]


def test_a_count_axis_never_ticks_half_a_row() -> None:
    for counts in ({"a": 1}, {"a": 2, "b": 1}, {"a": 7}, {"a": 1_234}):
        svg = str(bars(counts, "rows per reason of c"))
        ticks = [t for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg) if re.fullmatch(r"[\d.,k]+", t)]
        assert ticks and not [t for t in ticks if "." in t], (counts, ticks)
