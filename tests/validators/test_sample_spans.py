"""The span a whitespace sample marks is the whitespace itself: all of a leading or trailing run, the spaces of a
long run (not the character before them), the blank lines, the carriage return; at the start of a long text
and in a window cut from its middle (each cut marked with one character)."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import contract_text
from traingate.data.excerpts import CUT
from traingate.reports.html import highlight
from traingate.results import RunResult
from traingate.validators.common.samples import excerpt_around

MIDDLE = "x" * 500 + " " * 5 + "y" * 500
START = "  " + "z" * 600
ROWS = ["   lead text", "trail text  ", "a     gap", "r\r\nn", "a\n\n\n\n\nb", MIDDLE, START]
# line -> (reason, excerpt, span, the marked text)
EXPECTED = {
    1: ("leading_trailing", "   lead text", (0, 3), "   "),
    2: ("leading_trailing", "trail text  ", (10, 12), "  "),
    3: ("space_run", "a     gap", (1, 6), "     "),
    4: ("carriage_return", "r\r\nn", (1, 2), "\r"),
    5: ("blank_lines", "a\n\n\n\n\nb", (2, 6), "\n\n\n\n"),
    6: ("space_run", CUT + "x" * 100 + " " * 5 + "y" * 195 + CUT, (101, 106), " " * 5),
    7: ("leading_trailing", START[:300] + CUT, (0, 2), "  "),
}


def test_each_whitespace_sample_marks_the_whitespace(run: Callable[..., RunResult]) -> None:
    result = run(contract_text("pretraining", "  format:\n    - type: whitespace\n"), [{"text": t} for t in ROWS])
    (check,) = result.checks
    shown = {s.line: (s.reason, s.excerpt, s.span, s.excerpt[s.span[0]: s.span[1]] if s.span else None)
             for s in check.samples}
    assert shown == EXPECTED
    (gap,) = [s for s in check.samples if s.line == 3]
    assert str(highlight(gap)) == "a<mark>     </mark>gap"


def test_a_pattern_without_the_at_group_marks_its_whole_match() -> None:
    assert excerpt_around("say {{name}} now", r"\{\{\s*\w+\s*\}\}") == ("say {{name}} now", (4, 12))
    assert excerpt_around("no match here", r"\d+") == ("no match here", None)
    text = "w" * 1000 + "{{slot}}"  # a match past the first window: the window opens a third of it before
    excerpt, span = excerpt_around(text, r"\{\{\w+\}\}")
    assert excerpt == CUT + "w" * 100 + "{{slot}}" and excerpt[span[0]: span[1]] == "{{slot}}"  # type: ignore[index]
