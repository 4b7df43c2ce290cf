"""Fixed-width golden renders of two small runs (4 checks, and 20 of every severity): the terminal summary
drawn on a console 80 and 200 columns wide, and the markdown summary and GitHub annotations, which are the
same at any width. At 80 columns no check id is split across lines and each check takes its row and its
message's line (the boxed table this replaced folded ids mid-word: 19 lines for the 4 checks, 109 for the 20).
The command's own output depends on neither COLUMNS nor the terminal it was started from when it is not
written to a terminal. Refresh with `pytest tests/reports/test_widths.py --update-golden`."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from tests.conftest import contract_text, write_jsonl
from tests.reports.test_reports import compare, normalise
from traingate.cli.app import app
from traingate.cli.consoles import PLAIN_WIDTH
from traingate.reports.figures import measured, status_word
from traingate.reports.github import render_github
from traingate.reports.markdown import render_markdown
from traingate.reports.terminal import render_terminal
from traingate.results import RunResult

WIDTHS = (80, 200)
CHECKS = ("  format:\n    - type: empty_text\n      severity: warn\n    - type: max_chars\n      limit: 40\n"
          "      max_rate: 0.1\n  quantity:\n    - type: min_rows\n      min: 2\n"
          "  uniqueness:\n    - type: exact_duplicates\n      max_rate: 0.1\n")
ROWS = [{"prompt": "What is 2+2?", "response": "4"}, {"prompt": "Greet <b>", "response": "Hello | there"},
        {"prompt": "Explain", "response": "A long answer that goes well past forty characters, and on."},
        {"prompt": "Say nothing", "response": ""}, {"prompt": "What is 2+2?", "response": "4"}]


# 20 checks of 8 groups, failing, warning, noted and passing, with ids as long as the built-in ones get.
TWENTY = ("  format:\n    - type: code_fences\n    - type: empty_text\n      severity: warn\n    - type: encoding\n"
          "    - type: max_chars\n      limit: 40\n      max_rate: 0.1\n    - type: max_tokens\n      limit: 8\n"
          "    - type: min_chars\n      limit: 16\n      severity: info\n    - type: min_tokens\n      limit: 1\n"
          "    - type: placeholders\n    - type: special_tokens\n    - type: whitespace\n      severity: warn\n"
          "  quantity:\n    - type: min_rows\n      min: 2\n    - type: min_tokens\n      min: 10\n"
          "  uniqueness:\n    - type: exact_duplicates\n      max_rate: 0.1\n    - type: near_duplicates\n"
          "  alignment:\n    - type: length_ratio\n      max: 5\n    - type: refusals\n    - type: truncated\n"
          "      severity: warn\n  compliance:\n    - type: blocklist\n      terms: [secret]\n"
          "  coverage:\n    - type: diversity\n      feature: output_format\n"
          "  consistency:\n    - type: preference_consistency\n")
TWENTY_ROWS = ROWS + [{"prompt": "Tell a secret", "response": "As an AI language model I cannot share the secret"},
                      {"prompt": "Code", "response": "```python\nprint(1)"}]


@pytest.fixture
def result(run: Callable[..., RunResult], tmp_path: Path) -> RunResult:
    return normalise(run(contract_text("sft", CHECKS, extra="  tokenizer: whitespace\n"), ROWS), tmp_path)


@pytest.fixture
def twenty(run: Callable[..., RunResult], tmp_path: Path) -> RunResult:
    return normalise(run(contract_text("sft", TWENTY, extra="  tokenizer: whitespace\n"), TWENTY_ROWS), tmp_path)


def table_lines(text: str) -> list[str]:
    """The lines of the check table: after the title, before the dataset's line."""
    lines = text.splitlines()
    return lines[1:next(i for i, line in enumerate(lines) if " file(s), tokenizer " in line)]


def terminal(result: RunResult, width: int) -> str:
    """The summary as a terminal of `width` columns shows it, without colour."""
    console = Console(file=io.StringIO(), width=width, height=25, color_system=None, force_terminal=False,
                      soft_wrap=True, legacy_windows=False, _environ={})
    render_terminal(result, console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(text, str)
    return text


@pytest.mark.parametrize("width", WIDTHS)
def test_renders_match_golden_files_at_each_width(result: RunResult, width: int, update_golden: bool,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    text = terminal(result, width)
    assert max(map(len, text.splitlines())) <= width
    compare(f"terminal_{width}.txt", text, update_golden)
    compare("markdown.md", render_markdown(result), update_golden)
    compare("github.txt", render_github(result), update_golden)


@pytest.mark.parametrize("width", WIDTHS)
def test_twenty_checks_match_golden_files_at_each_width(twenty: RunResult, width: int, update_golden: bool) -> None:
    text = terminal(twenty, width)
    assert max(map(len, text.splitlines())) <= width
    compare(f"terminal_{width}_twenty.txt", text, update_golden)
    compare("markdown_twenty.md", render_markdown(twenty, "https://ci.example/runs/42/report.html"), update_golden)


def test_at_80_columns_no_check_id_is_split_and_each_check_takes_its_row_and_its_message(twenty: RunResult) -> None:
    lines = table_lines(terminal(twenty, 80))
    # The 34-character id leaves no room for the findings (the messages count them): check, status, measured.
    assert lines[0].split() == ["check", "status", "measured"] and set(lines[1]) == {"─"}
    starts = [i for i, line in enumerate(lines[2:], start=2) if not line.startswith(" ")]
    assert [lines[i].split()[0] for i in starts] == [c.id for c in twenty.checks]  # every id whole, in order
    for i, check in zip(starts, twenty.checks, strict=True):
        assert status_word(check) in lines[i] and measured(check) in lines[i]
        assert " ".join(line.strip() for line in lines[i + 1:i + 3]).startswith(check.message[:60])
    folds = sum(len(check.message) // 70 for check in twenty.checks)  # at most: a message folds every 70 to 78
    assert 2 + 2 * len(twenty.checks) <= len(lines) <= 2 + 2 * len(twenty.checks) + folds
    assert len(lines) < 109 / 2  # the boxed table drew these 20 checks in 109 lines
    rows = [line for line in table_lines(terminal(twenty, 200))[2:] if not line.startswith(" ")]
    assert [line.split()[0] for line in rows] == [c.id for c in twenty.checks]  # at 200, one row each...
    assert all(check.message[:60] in line for check, line in zip(twenty.checks, rows, strict=True))  # message beside


def test_the_golden_run_shows_each_kind_of_line(result: RunResult) -> None:
    """The fixed run exercises what the renders draw: failed error checks, a failed warn check, a pass, the
    gate's reasons, and annotations at a line of the data."""
    assert result.gate.verdict == "failed"
    assert {c.id: c.status for c in result.checks} == {
        "format.empty_text": "failed", "format.max_chars": "failed", "quantity.min_rows": "passed",
        "uniqueness.exact_duplicates": "failed"}
    assert "TMP/data.jsonl" in render_github(result) and "| format.max_chars |" in render_markdown(result)


@pytest.mark.parametrize("columns", ["80", "200", None])
def test_the_command_prints_the_same_at_any_columns(tmp_path: Path, columns: str | None,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Written anywhere but a terminal, the summary is drawn PLAIN_WIDTH wide and messages are one line each,
    whatever COLUMNS says, so a test, a pipe or a CI log reads the same text."""
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    (tmp_path / "c.yaml").write_text(contract_text("sft", CHECKS, extra="  tokenizer: whitespace\n"))
    data = write_jsonl(tmp_path / "data.jsonl", ROWS)
    runner = CliRunner()
    done = runner.invoke(app, ["validate", str(tmp_path / "c.yaml"), str(data), "--json", str(tmp_path / "run.json")])
    assert done.exit_code == 1
    assert done.stdout == terminal(RunResult.model_validate_json((tmp_path / "run.json").read_text()), PLAIN_WIDTH)
    long_name = tmp_path / ("a-run-saved-under-a-name-long-enough-to-pass-eighty-columns-" * 2 + ".json")
    long_name.write_text("not json")
    done = runner.invoke(app, ["report", str(long_name)])
    assert done.exit_code == 3
    assert f"error: {long_name} is not a traingate run: " in done.stderr  # one line, however narrow


def test_at_80_columns_one_long_id_does_not_fold_every_checks_figure(twenty: RunResult) -> None:
    """An embedded expectation's id (46 characters) beside 19 short ones: the id column is as wide as makes the
    table shortest, so the long id stands on its own line rather than leaving every other figure 16 columns."""
    long_id = "expect_column_values_to_be_unique(instruction)"
    twenty.checks[3].id = long_id
    lines = table_lines(terminal(twenty, 80))
    assert max(map(len, lines)) <= 80
    for check in twenty.checks:
        row = next(i for i, line in enumerate(lines) if line.split() and line.split()[0] == check.id)
        shown = lines[row + 1] if check.id == long_id else lines[row]  # the long id on a line of its own
        assert measured(check) in shown, (check.id, shown)
    assert len(lines) <= 2 + 2 * len(twenty.checks) + 1 + sum(len(c.message) // 70 for c in twenty.checks)
