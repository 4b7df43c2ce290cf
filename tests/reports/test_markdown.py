"""The markdown summary, the dataset card, JUnit and GitHub annotations speak the terminal's and the HTML
report's words: the verdict's name, `failed (warn)`, `noted (info)` (never failed), the value against its
threshold in one unit. The summary puts failures first, folds the rest into <details>, and links the HTML
report only at an http(s) URL or a relative path."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import contract_text, write_jsonl
from traingate.cli.app import app
from traingate.reports.github import render_github
from traingate.reports.junit import render_junit
from traingate.reports.markdown import render_card, render_markdown, report_link
from traingate.results import RunResult

CHECKS = ("  format:\n    - type: max_chars\n      limit: 10\n      max_rate: 0.2\n    - type: empty_text\n"
          "      severity: warn\n    - type: min_chars\n      limit: 8\n      severity: info\n"
          "  quantity:\n    - type: min_rows\n      min: 2\n")
ROWS = [{"prompt": "Hi", "response": "A reply longer than ten characters"}, {"prompt": "Quiet", "response": ""},
        {"prompt": "Ok", "response": "ok"}]


@pytest.fixture
def result(run: Callable[..., RunResult]) -> RunResult:
    return run(contract_text("sft", CHECKS), ROWS)


def rows_of(markdown: str, section: str) -> list[list[str]]:
    """The cells of the table rows in `section` (the text before or after `<details>`)."""
    before, _, after = markdown.partition("<details>")
    text = before if section == "before" else after
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in text.splitlines()
            if line.startswith("| ") and not line.startswith("| check ")]


def test_the_summary_puts_failures_first_in_their_words_and_folds_the_rest(result: RunResult) -> None:
    text = render_markdown(result)
    assert text.startswith("## traingate: FAILED — t 1.0.0\n")
    assert "Checks: **1 failed** · **1 failed (warn)** · 1 noted (info) · 1 passed" in text
    assert rows_of(text, "before") == [
        ["format.max_chars", "❌ failed", "33.33% &gt; 20.00%", "1", "1 of 3 rows with more than 10 chars (33.33%)"],
        ["format.empty_text", "⚠️ failed (warn)", "1 row, none allowed", "1", "1 of 3 rows with empty text (33.33%)"]]
    assert "<details><summary>1 noted (info) · 1 passed</summary>" in text
    assert [row[:3] for row in rows_of(text, "after")] == [
        ["format.min_chars", "ℹ️ noted (info)", "2 rows, none allowed"], ["quantity.min_rows", "✅ passed", "3 rows ≥ 2"]]
    assert "- check format.max_chars failed" not in text  # the table says it; other gate reasons stay as a list


def test_a_run_that_passed_shows_no_failure_table_and_says_what_passed(run: Callable[..., RunResult]) -> None:
    text = render_markdown(run(contract_text("sft", "  quantity:\n    - type: min_rows\n      min: 2\n"), ROWS))
    assert text.startswith("## traingate: PASSED — t 1.0.0\n") and "Checks: 1 passed" in text
    assert rows_of(text, "before") == [] and text.endswith("</details>\n")


def test_the_summary_links_the_report_only_at_a_web_or_relative_address(result: RunResult) -> None:
    text = render_markdown(result, "https://ci.example/runs/7/report (final).html?a=1&b=[2]")
    assert "[The full report (HTML)](https://ci.example/runs/7/report%20%28final%29.html?a=1&b=%5B2%5D)" in text
    assert "[The full report (HTML)](artifacts/report.html)" in render_markdown(result, "artifacts/report.html")
    assert "](" not in render_markdown(result)
    for bad in ("javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<b>x</b>", "//evil.example/x",
                "https://", "http:relative", "report.html\n[x](javascript:alert(1))", " https://x.example/", ""):
        with pytest.raises(ValueError, match="report URL"):
            render_markdown(result, bad)
    assert report_link("r.html)<script>") == "r.html%29%3Cscript%3E"  # nothing closes the link or opens a tag


def test_names_from_the_run_are_escaped_in_both_tables(result: RunResult) -> None:
    result.checks[0].id, result.checks[3].message = "a|<img src=x onerror=alert(1)>", "<script>x</script> | y"
    text = render_markdown(result)
    assert "<img" not in text and "<script" not in text
    assert "a\\|&lt;img src=x onerror=alert(1)&gt;" in text and "&lt;script&gt;x&lt;/script&gt; \\| y" in text


def test_the_card_states_claims_and_measurements_in_units_and_words(result: RunResult) -> None:
    rows = [line for line in render_card(result).splitlines() if line.startswith("| format |")]
    assert rows == ["| format | format.max_chars | ≤ 20.00% | 33.33% | failed |",
                    "| format | format.empty_text | none allowed | 1 row | failed (warn) |",
                    "| format | format.min_chars | none allowed | 2 rows | noted (info) |"]
    assert "gate: **FAILED**" in render_card(result)


def test_junit_fails_error_and_warn_checks_in_their_words_and_notes_info_ones(result: RunResult) -> None:
    suite = ET.fromstring(render_junit(result))
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("4", "2", "0", "0")
    error, warn = cases["format.max_chars"].find("failure"), cases["format.empty_text"].find("failure")
    assert error is not None and error.get("message", "").startswith("failed: 33.33% > 20.00% — 1 of 3 rows")
    assert warn is not None and warn.get("type") == "warn" and warn.get("message", "").startswith("failed (warn): ")
    info = cases["format.min_chars"]
    assert [child.tag for child in info] == ["system-out"]  # passing: an info check never fails the gate
    assert (info[0].text or "").startswith("noted (info): 2 rows, none allowed — 2 of 3 rows with fewer than 8")
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert (props["verdict"], props["gate"]) == ("FAILED", "failed")


def test_annotations_take_their_level_from_the_severity(result: RunResult) -> None:
    lines = render_github(result).splitlines()
    levels = {line.split("title=")[1].split("::")[0]: line.split(" ")[0] for line in lines if "title=format." in line}
    assert levels == {"format.max_chars": "::error", "format.empty_text": "::warning", "format.min_chars": "::notice"}
    assert any(line.endswith("::failed (warn): 1 row, none allowed — 1 of 3 rows with empty text (33.33%25)")
               for line in lines)
    assert lines[-1].startswith("::error title=traingate::gate FAILED: check format.max_chars failed")


def test_validate_writes_the_summary_with_its_link_and_refuses_a_bad_url_before_reading(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(contract_text("sft", CHECKS))
    data, summary = write_jsonl(tmp_path / "d.jsonl", ROWS), tmp_path / "summary.md"
    runner = CliRunner()
    done = runner.invoke(app, ["validate", str(tmp_path / "c.yaml"), str(data), "--markdown", str(summary),
                               "--report-url", "report.html"])
    assert done.exit_code == 1, done.output
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## traingate: FAILED") and "[The full report (HTML)](report.html)" in text
    for args, message in ((["--markdown", str(tmp_path / "s2.md"), "--report-url", "javascript:alert(1)"], "scheme"),
                          (["--report-url", "https://ci.example/r.html"], "add --markdown"),
                          (["--markdown", "-"], "give a file")):
        done = runner.invoke(app, ["validate", str(tmp_path / "c.yaml"), str(tmp_path / "missing.jsonl"), *args])
        flat = " ".join(done.output.replace("│", "").split())  # the error box folds the message
        assert done.exit_code == 2 and message in flat, done.output  # a usage error, before any read
    assert not (tmp_path / "s2.md").exists()


def test_report_renders_a_saved_run_with_the_link(tmp_path: Path, result: RunResult) -> None:
    saved = tmp_path / "run.json"
    saved.write_text(result.model_dump_json())
    done = CliRunner().invoke(app, ["report", str(saved), "--markdown", "-", "--report-url", "https://ci.example/r.html"])
    assert done.exit_code == 0 and done.stdout == render_markdown(result, "https://ci.example/r.html")
