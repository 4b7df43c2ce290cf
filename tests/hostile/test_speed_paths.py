"""Hostile inputs for the paths replaced for speed: what each finds is what the former implementation, or an
independent computation, finds."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from tests.validators.test_textscan import batch_of, found, reference, validators
from traingate.data.arrays import bools, numbers
from traingate.validators.common.textscan import combine, text_patterns

# Text that reads like the `at` group the whitespace check names, but is none: an escaped parenthesis, a
# character class, a quoted literal. Combining the regexes must not rewrite it.
LOOKALIKES = [r"\(?P<at>", r"[(?P<at>]x", r"\Q(?P<at>\E", r"\\(?P<at>y)"]


@pytest.mark.parametrize("pattern", LOOKALIKES)
def test_a_regex_holding_the_group_names_text_finds_the_same_with_or_without_other_checks(pattern: str) -> None:
    alone = validators(f"  format:\n    - {{type: placeholders, patterns: ['{pattern}']}}\n")
    beside = validators(f"  format:\n    - {{type: placeholders, patterns: ['{pattern}']}}\n"
                        "    - {type: encoding}\n    - {type: whitespace}\n")
    array = pa.array(["P<at>", "(P<at>", "x", "?x", "ax", ":x", "(?P<at>", "\\y", "\\\\y", "y", "\x07P<at>", None, ""])
    want = reference(alone[0], array)
    for checks in (alone, beside):
        for patterns in (text_patterns(checks), None):
            assert found(checks[0], batch_of(array, patterns, checks)) == want, (pattern, patterns)


def test_combine_names_the_whitespace_group_once_and_leaves_lookalikes() -> None:
    assert combine([r"\S(?P<at> {4,})", r"\n(?P<at>(?:[ \t]*\n){4,})"]) == r"(?:\S(?: {4,}))|(?:\n(?:(?:[ \t]*\n){4,}))"
    for pattern in LOOKALIKES[:3]:
        assert combine([pattern]) == f"(?:{pattern})"
    assert combine([r"\\(?P<at>y)"]) == r"(?:\\(?:y))"  # an escaped backslash, then the group


@pytest.mark.parametrize("kind", [pa.bool_(), pa.int64(), pa.float16()])
def test_a_chunked_array_without_chunks_reads_as_an_empty_array(kind: pa.DataType) -> None:
    empty = pa.chunked_array([], type=kind)
    one = pa.array([], kind)
    assert numbers(empty).dtype == numbers(one).dtype and len(numbers(empty)) == 0
    if kind == pa.bool_():
        assert bools(empty).dtype == np.bool_ and len(bools(empty)) == 0
    else:
        with pytest.raises(TypeError):
            bools(empty)
    with pytest.raises(TypeError):
        numbers(pa.chunked_array([], type=pa.string()))
