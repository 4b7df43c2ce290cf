"""Embedded GX expectations on real data: gsm8k answers end with `#### number`. traingate's counts equal a
plain re-computation and GX's own result on a pandas frame of the same file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.test_expectations import _gx_results
from traingate.contracts import parse_contract
from traingate.engine.runner import validate

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ANSWER = r"\n#### -?[0-9][0-9,]*(\.[0-9]+)?$"
ITEMS = [
    ("expect_column_values_to_match_regex", {"column": "answer", "regex": ANSWER}),
    ("expect_column_values_to_not_match_regex", {"column": "answer", "regex": r"#### .*\$"}),
    ("expect_column_value_lengths_to_be_between", {"column": "question", "max_value": 400, "mostly": 0.95}),
    ("expect_column_values_to_be_unique", {"column": "question"}),
    ("expect_table_row_count_to_equal", {"value": 1319}),
]


def test_gsm8k_answers_match_the_final_answer_pattern(shared: Path) -> None:
    path = shared / "gsm8k" / "test.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    contract = parse_contract("contract: gsm8k\nversion: 1.0.0\ndataset:\n  kind: sft\n"
                              "  fields: {prompt: question, response: answer}\nexpectations:\n"
                              + "".join(f"  - {name}: {json.dumps(kwargs)}\n" for name, kwargs in ITEMS), "c.yaml")
    checks = validate(contract, [str(path)]).checks
    by_name = {c.details["expectation"]: c for c in checks}

    plain_misses = sum(re.search(ANSWER, r["answer"]) is None for r in rows)
    long_questions = sum(len(r["question"]) > 400 for r in rows)
    assert by_name["expect_column_values_to_match_regex"].findings == plain_misses
    assert by_name["expect_column_value_lengths_to_be_between"].findings == long_questions > 0
    theirs = _gx_results(rows, ITEMS)
    for (name, _), gx_result in zip(ITEMS, theirs):
        ours = by_name[name]
        assert (ours.status == "passed") == gx_result["success"], name
        if "unexpected_count" in gx_result["result"]:
            assert ours.findings == gx_result["result"]["unexpected_count"], name
    print({name: (c.status, c.findings, c.message) for name, c in by_name.items()})
