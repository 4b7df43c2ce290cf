"""Embedded Great Expectations: the same verdict, unexpected count and observed value as GX itself running
the same expectations on a pandas frame of the same rows; unsupported ones are located contract errors."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import pytest

from traingate.contracts import parse_contract
from traingate.errors import ContractError, ContractErrors

EXPECTATIONS: list[tuple[str, dict[str, Any]]] = [
    ("expect_column_values_to_match_regex", {"column": "answer", "regex": r"#### -?[0-9,.]+$", "mostly": 0.9}),
    ("expect_column_values_to_match_regex", {"column": "answer", "regex": r"#### -?[0-9,.]+$"}),
    ("expect_column_values_to_not_match_regex", {"column": "answer", "regex": "no answer"}),
    ("expect_column_values_to_match_regex_list", {"column": "label", "regex_list": ["a", "b"], "match_on": "any"}),
    ("expect_column_values_to_not_match_regex_list", {"column": "label", "regex_list": ["c"], "mostly": 0.5}),
    ("expect_column_values_to_not_be_null", {"column": "answer", "mostly": 0.95}),
    ("expect_column_values_to_not_be_null", {"column": "score"}),
    ("expect_column_values_to_be_null", {"column": "score", "mostly": 0.01}),
    ("expect_column_values_to_be_in_set", {"column": "label", "value_set": ["a", "b"]}),
    ("expect_column_values_to_not_be_in_set", {"column": "label", "value_set": ["z"]}),
    ("expect_column_values_to_be_between", {"column": "score", "min_value": 0, "max_value": 10, "mostly": 0.9}),
    ("expect_column_values_to_be_between", {"column": "score", "min_value": 5, "strict_min": True}),
    ("expect_column_value_lengths_to_be_between", {"column": "question", "min_value": 3, "max_value": 4}),
    ("expect_column_value_lengths_to_equal", {"column": "label", "value": 1}),
    ("expect_column_values_to_be_json_parseable", {"column": "meta", "mostly": 0.5}),
    ("expect_column_values_to_be_unique", {"column": "question"}),
    ("expect_column_values_to_be_unique", {"column": "id"}),
    ("expect_table_row_count_to_be_between", {"min_value": 1000, "max_value": 5000}),
    ("expect_table_row_count_to_equal", {"value": 10}),
    ("expect_column_to_exist", {"column": "score"}),
    ("expect_column_to_exist", {"column": "missing"}),
    ("expect_column_mean_to_be_between", {"column": "score", "min_value": 4.5, "max_value": 5.5}),
    ("expect_column_min_to_be_between", {"column": "score", "min_value": 0}),
    ("expect_column_max_to_be_between", {"column": "score", "max_value": 20}),
    ("expect_column_sum_to_be_between", {"column": "score", "min_value": 0}),
    ("expect_column_stdev_to_be_between", {"column": "score", "min_value": 1.9, "max_value": 2.1}),
    ("expect_column_proportion_of_non_null_values_to_be_between", {"column": "score", "min_value": 0.99}),
    ("expect_column_unique_value_count_to_be_between", {"column": "question", "min_value": 2900, "max_value": 2900}),
    ("expect_column_proportion_of_unique_values_to_be_between", {"column": "question", "min_value": 0.99}),
    ("expect_column_distinct_values_to_be_in_set", {"column": "label", "value_set": ["a", "b", "c"]}),
    ("expect_column_distinct_values_to_contain_set", {"column": "label", "value_set": ["a", "d"]}),
    ("expect_column_distinct_values_to_equal_set", {"column": "label", "value_set": ["a", "b", "c"]}),
    ("expect_column_most_common_value_to_be_in_set", {"column": "label", "value_set": ["a"]}),
    ("expect_column_median_to_be_between", {"column": "score", "min_value": 4.9, "max_value": 5.1}),
    ("expect_column_quantile_values_to_be_between",
     {"column": "score", "quantile_ranges": {"quantiles": [0.1, 0.5, 0.9], "value_ranges": [[2, 3], [4, 6], [7, 8]]}}),
]


def _rows(n: int = 3000) -> list[dict[str, Any]]:
    rng = random.Random(1)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        answer: str | None = f"work\n#### {rng.randint(-50, 900)}" if i % 17 else "no answer here"
        rows.append({"id": i, "question": f"q{i % 2900}", "answer": None if i % 101 == 0 else answer,
                     "score": rng.gauss(5, 2) if i % 50 else None, "label": rng.choice("aabc"),
                     "meta": '{"k": 1}' if i % 3 else "{broken"})
    return rows


def _contract(items: list[tuple[str, dict[str, Any]]]) -> str:
    import yaml

    body = yaml.safe_dump({"expectations": [{name: kwargs} for name, kwargs in items]}, sort_keys=False)
    return ("contract: gx\nversion: 1.0.0\ndataset:\n  kind: sft\n  fields: {prompt: question, response: answer}\n"
            + body)


def _gx_results(rows: list[dict[str, Any]], items: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    gx = pytest.importorskip("great_expectations")
    import pandas as pd
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    context = gx.get_context(mode="ephemeral")
    batch = (context.data_sources.add_pandas("frames").add_dataframe_asset("rows")
             .add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": pd.DataFrame(rows)}))
    suite = gx.ExpectationSuite(name="s", expectations=[
        ExpectationConfiguration(type=name, kwargs=kwargs, meta={"i": i}).to_domain_obj()
        for i, (name, kwargs) in enumerate(items)])
    results = batch.validate(suite, result_format="SUMMARY").results
    return [r.to_json_dict() for r in sorted(results, key=lambda r: r.expectation_config.meta["i"])]


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9)
    return bool(a == b)


def test_same_verdicts_counts_and_values_as_gx(run: Callable[..., Any]) -> None:
    rows = _rows()
    theirs = _gx_results(rows, EXPECTATIONS)
    result = run(_contract(EXPECTATIONS), rows)
    ours = [c for c in result.checks if c.type == "expectation"]
    assert len(ours) == len(theirs) == len(EXPECTATIONS)
    order: dict[str, list[int]] = {}
    for i, (name, kw) in enumerate(EXPECTATIONS):
        order.setdefault(f"{name}({kw.get('column')})" if kw.get("column") else name, []).append(i)
    verdicts = {True: 0, False: 0}
    for check in ours:
        base, _, nth = check.id.partition("#")
        index = order[base][int(nth or 1) - 1]
        gx_result = theirs[index]
        name = EXPECTATIONS[index][0]
        assert (check.status == "passed") == gx_result["success"], (check.id, check.message, gx_result)
        verdicts[gx_result["success"]] += 1
        mine = check.details["gx_result"]
        if "unexpected_count" in gx_result["result"] and "distinct" not in name:
            assert mine["unexpected_count"] == gx_result["result"]["unexpected_count"], check.id
            assert mine["element_count"] == gx_result["result"]["element_count"], check.id
        if "observed_value" in gx_result["result"]:
            observed = gx_result["result"]["observed_value"]
            if "observed_values" in check.details:  # the data's own values, kept as maskable excerpts
                assert [v["excerpt"] for v in check.details["observed_values"]] == [str(v) for v in observed], check.id
            else:
                assert _close(mine["observed_value"], observed), (check.id, mine)
    assert verdicts[True] >= 10 and verdicts[False] >= 10  # both outcomes are exercised


def test_a_sampled_quantile_says_so(run: Callable[..., Any]) -> None:
    text = _contract([]).replace("expectations: []\n", "") + (
        "expectations:\n  - expect_column_median_to_be_between: {column: score, min_value: 4, max_value: 6}\n"
        "    sample: {rows: 500, seed: 3}\n")
    check = run(text, _rows()).checks[0]
    assert check.details["sample"] == {"rows": 500, "of": 2940, "seed": 3, "exact": False}
    assert "seeded sample of 500 of 2940 values (seed 3)" in check.message and check.status == "passed"


@pytest.mark.parametrize(("item", "message", "where"), [
    ("- expect_column_pair_values_to_be_equal: {column_A: a, column_B: b}",
     "expectation 'expect_column_pair_values_to_be_equal' is not supported", "c.yaml:6:5"),
    ("- expect_column_values_to_match_regexp: {column: a, regex: x}",
     "did you mean 'expect_column_values_to_match_regex'", "c.yaml:6:5"),
    ("- expect_column_values_to_match_regex: {column: a, regx: x}", "unknown key 'regx'", "c.yaml:6:"),
    ("- expect_column_values_to_be_in_set: {column: a, value_set: [x], row_condition: 'a>1'}",
     "row_condition is not supported", "c.yaml:6:"),
    ("- expect_column_values_to_match_regex: {column: a, regex: '(unclosed'}", "the regex does not compile", "c.yaml:6:"),
    ("- expect_column_mean_to_be_between: {column: a}", "give min_value, max_value or both", "c.yaml:6:"),
    ("- expect_column_values_to_not_be_null: {column: a}\n    max_rate: 0.1", "not max_count / max_rate", "c.yaml:6:"),
    ("- {column: a}", "exactly one `expect_...:` key", "c.yaml:6:"),
])
def test_an_expectation_that_cannot_run_is_a_located_contract_error(item: str, message: str, where: str) -> None:
    text = ("contract: gx\nversion: 1.0.0\ndataset:\n  kind: sft\nexpectations:\n  " + item + "\n")
    with pytest.raises((ContractError, ContractErrors)) as caught:
        parse_contract(text, "c.yaml")
    assert message in str(caught.value) and where in str(caught.value)


def test_expectations_may_also_be_written_as_checks() -> None:
    text = ("contract: gx\nversion: 1.0.0\ndataset:\n  kind: sft\nchecks:\n  quantity:\n    - type: expectation\n"
            "      expectation: expect_column_values_to_not_be_null\n      kwargs: {column: a}\n")
    with pytest.raises(ContractError, match="reports under group 'format', not 'quantity'"):
        parse_contract(text, "c.yaml")
    contract = parse_contract(text.replace("quantity", "format"), "c.yaml")
    assert contract.all_checks()[0].type == "expectation"


def test_values_from_the_data_are_masked_like_any_excerpt(run: Callable[..., Any]) -> None:
    rows = [{"question": f"q{i}", "answer": f"write to jo{i % 3}@acme.com", "label": f"jo{i % 2}@acme.com"}
            for i in range(30)]
    text = _contract([("expect_column_values_to_match_regex", {"column": "answer", "regex": "^#### "}),
                      ("expect_column_most_common_value_to_be_in_set", {"column": "label", "value_set": ["x"]})])
    text = text.replace("expectations:", "checks:\n  compliance:\n    - {type: pii, recognizers: patterns}\nexpectations:")
    result = run(text, rows)
    dumped = result.model_dump_json()
    assert "@acme.com" not in dumped and "<EMAIL_ADDRESS>" in dumped
    regex, common = (c for c in result.checks if c.type == "expectation")
    assert regex.findings == 30 and regex.samples and "partial_unexpected_list" not in regex.details["gx_result"]
    assert common.status == "failed" and len(common.details["observed_values"]) == 2
