from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT, contract_text
from traingate.reports.html import render_html
from traingate.reports.junit import render_junit
from traingate.reports.markdown import render_card
from traingate.results import RunResult

GOLDEN = ROOT / "tests" / "golden"
HOSTILE = "<script>alert('x')</script> {{name}}"
CHECKS = ("  format:\n    - type: placeholders\n    - type: empty_text\n      severity: warn\n"
          "    - type: max_chars\n      limit: 40\n      max_rate: 0.5\n  quantity:\n    - type: min_rows\n      min: 2\n")


@pytest.fixture
def result(run: Callable[..., RunResult], tmp_path: Path) -> RunResult:
    rows = [{"prompt": "What is 2+2?", "response": "4"}, {"prompt": "Greet", "response": HOSTILE},
            {"prompt": "", "response": "A long answer that goes well past forty characters."}]
    raw = run(contract_text("sft", CHECKS, extra="  tokenizer: whitespace\n"), rows)
    return normalise(raw, tmp_path)


def normalise(result: RunResult, tmp_path: Path) -> RunResult:
    """Fix the fields that change from run to run, so outputs can be pinned."""
    text = result.model_dump_json().replace(str(tmp_path), "TMP")
    fixed = RunResult.model_validate_json(text)
    fixed.run_id, fixed.started_at, fixed.finished_at, fixed.tool_version = "RUN", "START", "END", "VERSION"
    fixed.timings = {k: 0.0 for k in fixed.timings}
    fixed.resources = {k: 0.0 for k in fixed.resources}
    return fixed


def font_free(html: str) -> str:
    """A chart's geometry depends on the fonts installed (text widths move axes and labels); the golden keeps
    each chart's texts and labels, which do not."""

    def texts(svg: re.Match[str]) -> str:
        labels = re.findall(r'aria-label="([^"]*)"', svg.group(0)) + re.findall(r">([^<>]+)</text>", svg.group(0))
        return "<svg>" + " | ".join(labels) + "</svg>"

    return re.sub(r"<svg\b.*?</svg>", texts, html, flags=re.S)


def compare(name: str, text: str, update: bool) -> None:
    path = GOLDEN / name
    if update or not path.exists():  # written whole, then renamed: a test reading it in the other process never
        path.parent.mkdir(exist_ok=True)  # sees it half written
        fresh = path.with_name(f".{name}.{os.getpid()}")
        fresh.write_text(text, encoding="utf-8")
        fresh.replace(path)
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; rerun with --update-golden if intended"


def test_outputs_match_golden_files(result: RunResult, update_golden: bool) -> None:
    compare("sft_run.json", result.model_dump_json(indent=2), update_golden)
    compare("sft_report.html", font_free(render_html(result)), update_golden)
    compare("sft_junit.xml", render_junit(result), update_golden)


def test_html_escapes_dataset_text(result: RunResult) -> None:
    html = render_html(result)
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "<mark>{{name}}</mark>" in html
    # Self-contained: nothing to fetch (SVG's xmlns names are identifiers, not fetches).
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", html) and "<link" not in html


def test_html_shows_verdict_checks_and_distributions(result: RunResult) -> None:
    html = render_html(result)
    assert result.gate.verdict == "failed"
    assert 'class="banner failed"' in html and "FAILED" in html
    for check in result.checks:
        assert f'id="c-{check.id}"' in html
    assert 'aria-label="histogram of tokens.response: tokens per response, ' in html and "<path" in html
    assert '<div class="sr-only"><table><caption>tokens.response: rows per bin of tokens per response</caption>' in html


def test_junit_has_one_testcase_per_check(result: RunResult) -> None:
    xml = render_junit(result)
    import xml.etree.ElementTree as ET
    suite = ET.fromstring(xml)
    assert suite.get("tests") == str(len(result.checks))
    failures = {c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None}
    assert failures == {c.id for c in result.checks if c.status == "failed"}


def test_html_shows_duplicate_clusters_and_contamination_tables(run: Callable[..., RunResult], tmp_path: Path) -> None:
    question = "Natalia sold clips to 48 of her friends in April and then half as many clips in May how many in all"
    (tmp_path / "eval.jsonl").write_text(f'{{"question": "{question}"}}\n')
    long = HOSTILE + " the quick brown fox jumps over the lazy dog and runs far away into the woods"
    rows = [{"text": long + " first copy"}, {"text": long + " second copy"}, {"text": long + " first copy"},
            {"text": "Background: " + question + "? She sold 72."}, {"text": "unrelated"}]
    checks = ("  uniqueness:\n    - type: exact_duplicates\n    - type: near_duplicates\n      threshold: 0.5\n"
              f"    - type: contamination\n      against: [{{path: {tmp_path / 'eval.jsonl'}, name: gsm}}]\n")
    html = render_html(run(contract_text("pretraining", checks), rows))
    assert html.count('role="img" aria-label="cluster sizes of') == 2  # a chart per clustering check
    assert html.count('<div class="cluster">') == 2  # the exact pair, and the near cluster of three
    assert "&lt;script&gt;" in html and "<script" not in html
    assert "<mark>second</mark>" in html  # the span where near-duplicate members differ
    assert "gsm: 1 of 1 eval item leaked into 1 row" in html and "Background: Natalia" in html


def test_html_draws_each_coverage_target_beside_its_band(run: Callable[..., RunResult]) -> None:
    rows = [{"prompt": "p", "response": r} for r in ('{"a": 1}', "plain", "plain <b>", "# head\n- x")]
    checks = ("  coverage:\n    - type: distribution\n      feature: output_format\n"
              "      targets: {json: {min: 0.5}, plain: {max: 0.6}, html: {min: 0.1}}\n")
    html = render_html(run(contract_text("sft", checks), rows))
    # An outlined band for each of the 3 targets; a bar for each of the 4 values (html's at 0, marked), the 2
    # misses red and labelled, each value in the hidden table.
    assert html.count('fill="#eef1f5" stroke="#6b7280"') == 3 and html.count(">25.0% missed</text>") == 1
    assert html.count(">0.0% missed</text>") == 1 and html.count('fill="#c0392b"') == 3  # 2 bars, 1 zero mark
    assert "<tr><td>json</td><td>25.00%</td><td>≥ 50.00%</td><td>missed</td></tr>" in html
    assert "&#39;json&#39; at 25.0%, outside [50%, 100%]" in html


def test_html_lists_annotators_by_deviation(run: Callable[..., RunResult]) -> None:
    rows = [{"text": "t", "item": f"i{i}", "annotator": a, "label": label}
            for i in range(4) for a, label in (("ann", "x"), ("bob", "x"), ("<cy>", "y" if i % 2 else "x"))]
    html = render_html(run(contract_text("pretraining", "  consistency:\n    - type: agreement\n"), rows))
    assert "deviation from the others' consensus" in html and "&lt;cy&gt;</td><td>4</td><td>0.500" in html


def test_chart_labels_from_the_data_are_escaped(run: Callable[..., RunResult]) -> None:
    rows = [{"prompt": "p", "response": "r", "topic": HOSTILE}, {"prompt": "p", "response": "r", "topic": "plain"}]
    checks = "  coverage:\n    - type: distribution\n      feature: topic\n      required: [plain]\n"
    html = render_html(run(contract_text("sft", checks), rows))
    assert "<script" not in html and "&lt;script&gt;" in html  # in the chart's axis labels and its table


def with_distribution(result: RunResult, **fields: object) -> RunResult:
    base = {"name": "chars.response", "count": 3, "sum": 1_234_600.0, "min": 2.0, "max": 1_234_567.0, "mean": 411_533.3,
            "quantiles": {"p50": 31.0, "p90": 1_234_567.0, "p99": 1_234_567.0}, "quantile_basis": "exact",
            "quantile_sample": 3, "histogram": {"edges": [2.0, 64.0, 1_245_000.0], "counts": [2, 1]}}
    return RunResult.model_validate({**result.model_dump(), "distributions": [{**base, **fields}]})


def test_card_and_html_show_exact_figures_and_say_what_the_quantiles_are(result: RunResult) -> None:
    exact = with_distribution(result)
    row = next(line for line in render_card(exact).splitlines() if line.startswith("| chars.response"))
    assert row == "| chars.response | 3 | 411,533.3 | 31 | 1,234,567 | 1,234,567 | 1,234,567 | exact |"
    assert "p99 1,234,567 (exact)" in render_html(exact)  # not 1.23457e+06
    sampled = with_distribution(result, count=40_000, quantile_basis="sample", quantile_sample=16_384)
    note = "bins of all 40,000 values, placed in the bin by a seeded sample of 16,384"
    assert note in render_card(sampled) and f"p50 31 · p90 1,234,567 · p99 1,234,567 ({note})" in render_html(sampled)


def test_a_run_saved_before_exact_quantiles_renders_its_bin_edges_as_such(result: RunResult) -> None:
    saved = result.model_dump(mode="json")
    for dist in saved["distributions"]:  # the 1.0 layout: lower edges only, no quantile basis
        del dist["quantile_basis"], dist["quantile_sample"]
        dist["histogram"]["edges"] = dist["histogram"]["edges"][:-1]
    old = RunResult.model_validate(saved)
    assert all(d.quantile_basis == "bin_edge" for d in old.distributions)
    assert "upper histogram bin edges, up to 4.4% high" in render_card(old)
    html = render_html(old)
    assert "(upper histogram bin edges, up to 4.4% high)" in html and 'aria-label="histogram of tokens.response: ' in html


def test_an_output_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    """A write that fails half-way (here the presenter raises after writing part) leaves the old file and no
    temporary file; one that completes replaces the file, keeping its permission bits."""
    from traingate.reports.files import atomic_writer, write_text

    target = tmp_path / "report.json"
    target.write_text("old")
    target.chmod(0o640)
    with pytest.raises(RuntimeError), atomic_writer(target) as stream:
        stream.write("half of the new")
        raise RuntimeError("presenter failed")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["report.json"]
    write_text(target, "new \udcff")
    assert target.read_text() == "new \\udcff" and target.stat().st_mode & 0o777 == 0o640
