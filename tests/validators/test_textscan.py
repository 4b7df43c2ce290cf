"""One pass over each text field per batch (validators/common/textscan.py): every check that looks for regexes
finds exactly the values it finds alone, with the contract's combined pass or without it, on adversarial text
(unicode, empty, null, CRLF, fences mid-line, whitespace only, slices with offsets), checks run side by side
on threads; the combined pass runs once per field; a set that does not compile falls back to each check's own."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import contract_text
from traingate.contracts import parse_contract
from traingate.data.batch import BatchContext
from traingate.data.tokenizers import get_tokenizer
from traingate.engine.runner import check_ids
from traingate.validators import build
from traingate.validators.common import textscan
from traingate.validators.common.textscan import ScansText, text_patterns

CHECKS = """  format:
    - type: empty_text
    - type: whitespace
    - {type: whitespace, name: tight, space_run: 2, blank_lines: 1, leading_trailing: false}
    - type: encoding
    - {type: encoding, name: mojibake_only, replacement: false, control: false}
    - {type: special_tokens, extra_tokens: ['<b>']}
    - type: code_fences
    - type: placeholders
  compliance:
    - {type: blocklist, terms: [secret, 'C++'], patterns: ['inter(nal|im)\\.example']}
"""
FRAGMENTS = ["```", "\n", " ", "\r\n", "\t", "<|im_start|>", "{{ name }}", "Ã©", "\x07", "\x0b", "\ufffd", "secret",
             "Secrets", "C++", "internal.example", "a", "é", "😀", "    ", "\n\n\n", "[INST]", "<b>", " ```py", "\u00a0"]


def validators(checks: str = CHECKS) -> list[Any]:
    contract = parse_contract(contract_text("pretraining", checks))
    return [build(c, contract.dataset, i) for c, i in zip(contract.all_checks(), check_ids(contract))]


def batch_of(values: pa.Array, patterns: dict[str | None, tuple[str, ...]] | None, checks: list[Any]) -> BatchContext:
    return BatchContext(pa.table({"text": values}), checks[0].spec, get_tokenizer("whitespace"), file="t.jsonl",
                        file_index=0, lines=np.arange(len(values)), unit="line", split="train", row_offset=0,
                        text_patterns=patterns)


def full(values: pa.Array, pattern: str) -> list[bool]:
    """Whether each value matches, from RE2 over the whole array (the reference: no candidates at all)."""
    return [bool(v) for v in pc.match_substring_regex(values, pattern).to_pylist()]


def reference(check: Any, values: pa.Array) -> list[tuple[str, list[bool]]]:
    """What the check finds, each of its regexes run over every value."""
    kind = check.config.type
    if kind == "empty_text":
        return [("missing", [v is None for v in values.to_pylist()]), ("empty", full(values, r"^\s*$"))]
    if kind == "code_fences":
        counts = pc.count_substring_regex(values, r"(?m)^[ \t]*```").to_pylist()
        return [("unbalanced_fence", [c is not None and c % 2 == 1 for c in counts])]
    return [(reason, full(values, pattern)) for reason, pattern in check.patterns()]


def found(check: Any, batch: BatchContext) -> list[tuple[str, list[bool]]]:
    return [(hit.reason, np.asarray(hit.mask, dtype=bool).tolist()) for hit in check.find(batch)]


texts = st.lists(st.one_of(st.none(), st.lists(st.sampled_from(FRAGMENTS), max_size=6).map("".join)), max_size=25)


@settings(max_examples=150, deadline=None)
@given(texts, st.integers(0, 4))
def test_each_check_finds_what_its_own_regexes_find(values: list[str | None], skip: int) -> None:
    checks = validators()
    array = pa.array(["pad", "pad\r\n", *values], pa.string()).slice(min(skip, 2))  # a slice: offsets
    with_pass = batch_of(array, text_patterns(checks), checks)
    alone = batch_of(array, None, checks)
    with ThreadPoolExecutor(max_workers=4) as pool:  # checks share a batch on threads, as in a run
        shared = list(pool.map(lambda c: found(c, with_pass), checks))
    for check, hits in zip(checks, shared):
        want = reference(check, array)
        assert hits == want, check.check_id
        assert found(check, alone) == want, check.check_id


def test_the_combined_pass_runs_once_per_field(monkeypatch: pytest.MonkeyPatch) -> None:
    checks = validators()
    array = pa.array(["ok", " lead", "x```", "```\ncode", None, "", "secret plan", "a  b\r\n"] * 50)
    passes: list[int] = []
    matches = textscan.matches

    def counted(values: pa.Array, pattern: str) -> np.ndarray:
        if len(values) == len(array):
            passes.append(len(values))
        return matches(values, pattern)

    monkeypatch.setattr(textscan, "matches", counted)
    for check in checks:
        check.find(batch_of(array, None, checks))
    alone = len(passes)
    passes.clear()
    batch = batch_of(array, text_patterns(checks), checks)
    for check in checks:
        check.find(batch)
    assert alone == sum(1 for c in checks if c.config.type not in ("empty_text", "code_fences")) + 2
    assert len(passes) == 1


def test_the_patterns_come_from_the_contract_per_field() -> None:
    checks = validators("  format:\n    - type: code_fences\n    - {type: empty_text, fields: [text]}\n"
                        "    - {type: placeholders, patterns: ['X+'], fields: [text]}\n"
                        "  quantity:\n    - {type: min_rows, min: 1}\n")
    assert text_patterns(checks) == {None: (r"(?m)^[ \t]*```",), "text": (r"^\s*$", "(?:X+)")}
    assert text_patterns(reversed(checks)) == {None: (r"(?m)^[ \t]*```",), "text": ("(?:X+)", r"^\s*$")}
    assert sum(isinstance(c, ScansText) for c in checks) == 3


def test_a_set_that_does_not_compile_together_falls_back_to_each_checks_own_pass() -> None:
    checks = validators("  format:\n    - {type: placeholders, patterns: ['(?P<slot>A+)']}\n"
                        "    - {type: placeholders, name: other, patterns: ['(?P<slot>B+)']}\n")
    array = pa.array(["A", "B", "AB", "c", None])
    batch = batch_of(array, text_patterns(checks), checks)
    assert [found(c, batch) for c in checks] == [[("placeholder", [True, False, True, False, False])],
                                                [("placeholder", [False, True, True, False, False])]]


def test_a_batch_without_the_contracts_patterns_gives_the_same_rows() -> None:
    checks = validators()
    array = pa.array(["```a\n```", "```", "  ```x\n```\n```", "a ``` b", "\n```", None, ""])
    shared = batch_of(array, text_patterns(checks[6:7]), checks)  # the set holds the fence check's regex only
    alone = batch_of(array, None, checks)
    for check in checks:
        assert found(check, shared) == found(check, alone) == reference(check, array), check.check_id
