from __future__ import annotations

from collections.abc import Callable

from tests.conftest import contract_text
from traingate.results import RunResult

SCHEMA = """  format:
    - type: schema
      columns:
        id: {dtype: string, regex: "r[0-9]+", unique: true}
        lang: {dtype: string, isin: [en, de]}
        prompt: {dtype: string, min_length: 2, max_length: 10}
        score: {dtype: number, min: 0, max: 1, nullable: true}
        extra: {required: false}
"""


def test_schema_findings_by_reason(run: Callable[..., RunResult]) -> None:
    rows = [
        {"id": "r1", "lang": "en", "prompt": "hello", "score": 0.5},
        {"id": "r2", "lang": "fr", "prompt": "hello"},                        # isin
        {"id": "x3", "lang": "en", "prompt": "h", "score": 2},                # regex, min length, max
        {"id": "r1", "lang": "de", "prompt": "hello there!"},                 # duplicate id, max length
        {"lang": "en", "prompt": "hello"},                                    # null id
    ]
    (c,) = run(contract_text("sft", SCHEMA), rows).checks
    assert c.status == "failed"
    assert c.details["by_reason"] == {"isin:lang": 1, "less_than_or_equal_to:score": 1, "null:id": 1, "str_length:prompt": 2,
                                      "str_matches:id": 1, "unique:id": 1}
    assert {s.line for s in c.samples if s.reason == "unique:id"} == {4}


def test_missing_required_column_and_dtype(run: Callable[..., RunResult]) -> None:
    schema = "  format:\n    - type: schema\n      columns:\n        meta: {dtype: struct}\n        n: {dtype: int}\n"
    (c,) = run(contract_text("sft", schema), [{"n": 1.5}, {"n": 2.5}]).checks
    assert c.details["by_reason"] == {"dtype:n": 2, "missing_column:meta": 2}


def test_text_rules_read_other_values_as_text_and_bounds_parse_text(run: Callable[..., RunResult]) -> None:
    schema = ("  format:\n    - type: schema\n      columns:\n"
              "        n: {regex: '[0-9]', max_length: 1, nullable: true}\n        s: {min: 3, nullable: true}\n")
    rows = [{"n": 7, "s": "5"}, {"n": 12, "s": "2"}, {"n": 1.5, "s": "not a number"}, {"n": None, "s": None}]
    (c,) = run(contract_text("sft", schema), rows).checks
    # 12 and 1.5 fail the regex and the length as text; "2" is below 3; text that is no number is the
    # dtype rule's to judge, and nulls pass value rules
    assert c.details["by_reason"] == {"greater_than_or_equal_to:s": 1, "str_length:n": 2, "str_matches:n": 2}
