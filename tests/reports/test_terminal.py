"""The terminal summary: ids are never folded nor cut, colour follows severity (red error, yellow warn, dim
info, magenta errored), text from the run can neither drive the terminal nor inject markup, and the CLI's
consoles colour nothing on their own (rich's highlighting is off)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from rich.console import Console

from tests.conftest import contract_text
from traingate.cli.consoles import err, out
from traingate.reports.terminal import render_terminal
from traingate.results import RunResult

# One check of each colour: error failed, warn failed, info noted, passed, errored (no `chosen` in sft rows).
CHECKS = ("  format:\n    - type: max_chars\n      limit: 10\n    - type: empty_text\n      severity: warn\n"
          "    - type: min_chars\n      limit: 8\n      severity: info\n"
          "  quantity:\n    - type: min_rows\n      min: 2\n"
          "  consistency:\n    - type: preference_consistency\n")
ROWS = [{"prompt": "Hi", "response": "A reply longer than ten characters"}, {"prompt": "Quiet", "response": ""},
        {"prompt": "Ok", "response": "ok"}]
LONG_ID = "format.a_check_its_author_named_at_length_so_that_no_eighty_column_console_can_hold_it"


@pytest.fixture
def result(run: Callable[..., RunResult]) -> RunResult:
    return run(contract_text("sft", CHECKS), ROWS)


def draw(result: RunResult, width: int, colour: bool = False) -> str:
    console = Console(file=io.StringIO(), width=width, soft_wrap=True, legacy_windows=False, _environ={},
                      force_terminal=colour, color_system="standard" if colour else None)
    render_terminal(result, console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(text, str)
    return text


def test_the_fixture_has_one_check_of_each_colour(result: RunResult) -> None:
    assert {c.id: (c.status, c.severity) for c in result.checks} == {
        "format.max_chars": ("failed", "error"), "format.empty_text": ("failed", "warn"),
        "format.min_chars": ("failed", "info"), "quantity.min_rows": ("passed", "error"),
        "consistency.preference_consistency": ("errored", "error")}


def test_status_words_are_coloured_by_severity_and_the_verdict_by_itself(result: RunResult) -> None:
    text = draw(result, 80, colour=True)
    red, yellow, dim, green, magenta = "\x1b[31m", "\x1b[33m", "\x1b[2m", "\x1b[32m", "\x1b[35m"
    for style, word in ((red, "failed "), (yellow, "failed (warn)"), (dim, "noted (info)"), (green, "passed"),
                        (magenta, "errored")):
        assert f"{style}{word}" in text, word
    assert "failed (info)" not in text and "\x1b[1;35mERRORED" in text  # the gate errs: a check could not run


def test_an_id_longer_than_the_console_leaves_room_for_stands_whole_on_its_own_line(result: RunResult) -> None:
    result.checks[0].id = LONG_ID
    lines = draw(result, 80).splitlines()
    (at,) = [i for i, line in enumerate(lines) if LONG_ID in line]
    assert lines[at] == LONG_ID and lines[at + 1].split()[:2] == ["failed", "1"]  # its figures on the next line
    assert "…" not in "".join(lines)  # never ellipsized
    assert [line for line in lines if len(line) > 80] == [LONG_ID]
    others = [c.id for c in result.checks[1:]]
    assert all(any(line.startswith(cid + " ") for line in lines) for cid in others)  # the rest keep their column


def test_text_from_the_run_cannot_drive_the_terminal_nor_inject_markup(result: RunResult) -> None:
    result.checks[0].id = "x\x1b[2J[red]id[/red]"
    result.checks[1].message = "[bold]not bold[/bold] \x1b]0;title\x07 \u202eevil"
    for width in (80, 200):
        text = draw(result, width)
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        assert "x\\x1b[2J[red]id[/red]" in text and "[bold]not bold[/bold] \\x1b]0;title\\x07 \\u202eevil" in text


@pytest.mark.parametrize("console", [out, err], ids=["out", "err"])
def test_the_cli_consoles_colour_nothing_on_their_own(console: Console) -> None:
    line = "12 of 1,000 rows (1.20%) in /data/train.jsonl, 'quoted' True None"
    assert Console().render_str(line).spans  # rich's default would colour numbers, paths, quotes, constants
    assert console.render_str(line).spans == []
    assert [span.style for span in console.render_str("[red]error:[/] 1 row").spans] == ["red"]  # markup still works


def test_the_wide_layout_keeps_each_message_beside_its_check(result: RunResult) -> None:
    lines = draw(result, 200).splitlines()
    header = lines[1]
    assert re.split(r"\s{2,}", header.strip()) == ["check", "status", "findings", "measured", "message"]
    column = header.index("message")
    for check in result.checks:
        (line,) = [line for line in lines if line.startswith(check.id + " ")]
        assert line[column:].startswith(check.message[:40])
