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


def test_combine_leaves_every_regex_as_written_and_the_whitespace_scan_names_no_group() -> None:
    for pattern in LOOKALIKES:
        assert combine([pattern]) == f"(?:{pattern})"
    checks = validators("  format:\n    - {type: whitespace}\n")
    scanned = [regex for _, regex in checks[0].scanned()]
    assert len(scanned) == 4 and not any("(?P<" in regex for regex in scanned)
    assert [checks[0].scan_form(p) for _, p in checks[0].patterns()] == scanned
    assert sum("(?P<at>" in p for _, p in checks[0].patterns()) == 2  # the samples still mark the run


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
