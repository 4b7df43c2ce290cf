"""Fixed-width golden renders of one small run: the terminal summary drawn on a console 80 and 200 columns
wide, and the markdown summary and GitHub annotations, which are the same at any width. The command's own
output depends on neither COLUMNS nor the terminal it was started from when it is not written to a terminal.
Refresh with `pytest tests/reports/test_widths.py --update-golden`."""

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


@pytest.fixture
def result(run: Callable[..., RunResult], tmp_path: Path) -> RunResult:
    return normalise(run(contract_text("sft", CHECKS, extra="  tokenizer: whitespace\n"), ROWS), tmp_path)


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
