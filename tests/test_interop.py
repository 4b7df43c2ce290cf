"""A contract exported as a Great Expectations suite, run by GX itself on a pandas frame of the same
data, passes and fails check by check as traingate does; the pandera export loads in pandera."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import invoke
from tests.conftest import write_jsonl

CONTRACT = """\
contract: interop
version: 1.0.0
dataset:
  kind: sft
checks:
  format:
    - type: schema
      name: ids
      columns:
        id: {regex: 'r[0-9]+', unique: true}
    - type: schema
      name: scores
      columns:
        n: {min: 0, max: 3, nullable: true}
        topic: {isin: [math, code], min_length: 4, max_length: 4}
    - type: schema
      name: prompts
      columns:
        prompt: {dtype: string}
    - type: empty_text
  quantity:
    - {type: min_rows, min: 5}
"""
ROWS = [{"id": f"r{i}", "n": [0, 1, 2, 5, None][i], "topic": ["math", "code", "code", "math", "math"][i],
         "prompt": f"q{i}", "response": "a"} for i in range(5)]
ROWS[3]["id"] = "r1"  # a repeated id: 'ids' fails in both tools; n = 5 fails 'scores' in both


@pytest.mark.parametrize("rows", [ROWS, [dict(r, id=f"r{i}", n=1) for i, r in enumerate(ROWS)]])
def test_gx_runs_the_exported_suite_with_the_same_verdicts(tmp_path: Path, rows: list[dict[str, object]]) -> None:
    gx = pytest.importorskip("great_expectations")
    import pandas as pd
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    (tmp_path / "c.yaml").write_text(CONTRACT)
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    code, stderr = invoke("export", str(tmp_path / "c.yaml"), "-o", str(tmp_path / "suite.json"))
    assert code == 0 and "not exportable: format.empty_text: no Great Expectations equivalent" in stderr
    assert "not exportable: prompts: prompt.dtype string" in stderr
    invoke("validate", str(tmp_path / "c.yaml"), str(data), "--json", str(tmp_path / "run.json"))
    ours = {c["id"]: c["status"] for c in json.loads((tmp_path / "run.json").read_text())["checks"]}

    exported = json.loads((tmp_path / "suite.json").read_text())
    context = gx.get_context(mode="ephemeral")
    batch = (context.data_sources.add_pandas("frames").add_dataframe_asset("rows")
             .add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": pd.DataFrame(rows)}))
    suite = gx.ExpectationSuite(name=exported["name"], expectations=[
        ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e["meta"]).to_domain_obj()
        for e in exported["expectations"]])
    theirs: dict[str, bool] = {}
    for result in batch.validate(suite).results:
        check = result.expectation_config.meta["traingate_check"]
        theirs[check] = theirs.get(check, True) and bool(result.success)
    assert {check: ours[check] == "passed" for check in theirs} == theirs
    assert set(theirs) == {"ids", "scores", "prompts", "quantity.min_rows"}


def test_pandera_export_loads_in_pandera(tmp_path: Path) -> None:
    import pandera.pandas as pandera

    (tmp_path / "c.yaml").write_text(CONTRACT)
    code, text = invoke("export", str(tmp_path / "c.yaml"), "--format", "pandera")
    schemas = [pandera.DataFrameSchema.from_yaml(part) for part in text.split("\n---\n")]
    assert code == 0 and [sorted(s.columns) for s in schemas] == [["id"], ["n", "topic"]]


def test_pandera_export_of_nothing_exportable_is_an_error_saying_what_would_map(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(CONTRACT.split("  format:")[0] + "  format:\n    - type: schema\n      columns:\n"
                                     "        prompt: {dtype: string, unique: true}\n    - type: empty_text\n")
    out = tmp_path / "schema.yaml"
    code, output = invoke("export", str(tmp_path / "c.yaml"), "--format", "pandera", "-o", str(out))
    assert code == 3 and not out.exists()
    assert "nothing in contract interop maps to pandera" in output
    assert "regex" in output and "isin" in output and "min_length" in output


SUITE = {"name": "orders", "expectations": [
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id", "batch_id": "b"}, "meta": {}},
    {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "id", "regex": "^r[0-9]+$"}, "meta": {}},
    {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "n", "min_value": 0, "max_value": 1.5},
     "severity": "warning"},
    {"type": "expect_column_pair_values_to_be_equal", "kwargs": {"column_A": "id", "column_B": "prompt"}},
]}


def test_import_gx_names_what_cannot_run_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "suite.json").write_text(json.dumps(SUITE))
    code, output = invoke("import-gx", str(tmp_path / "suite.json"), "-o", str(tmp_path / "c.yaml"))
    assert code == 3 and "expect_column_pair_values_to_be_equal" in output and "is not supported" in output
    assert not (tmp_path / "c.yaml").exists()


def test_import_gx_then_validate_gives_gx_verdicts(tmp_path: Path) -> None:
    (tmp_path / "suite.json").write_text(json.dumps(SUITE))
    code, output = invoke("import-gx", str(tmp_path / "suite.json"), "-o", str(tmp_path / "c.yaml"), "--kind", "sft",
                          "--skip-unsupported")
    assert code == 0 and "left out expect_column_pair_values_to_be_equal" in output
    data = write_jsonl(tmp_path / "d.jsonl", ROWS)
    code, _ = invoke("validate", str(tmp_path / "c.yaml"), str(data), "--json", str(tmp_path / "run.json"))
    checks = {c["details"]["expectation"]: c for c in json.loads((tmp_path / "run.json").read_text())["checks"]}
    assert {name: c["status"] for name, c in checks.items()} == {
        "expect_column_values_to_not_be_null": "passed", "expect_column_values_to_match_regex": "passed",
        "expect_column_mean_to_be_between": "failed"}  # n = 0, 1, 2, 5 and a null: mean 2.0
    assert checks["expect_column_mean_to_be_between"]["details"]["gx_result"]["observed_value"] == 2.0
    assert checks["expect_column_mean_to_be_between"]["severity"] == "warn" and code == 0  # GX 'warning' only warns
    # and back: the contract exports to the same expectations
    code, _ = invoke("export", str(tmp_path / "c.yaml"), "-o", str(tmp_path / "again.json"))
    again = json.loads((tmp_path / "again.json").read_text())["expectations"]
    assert [(e["type"], e["kwargs"]) for e in again] == [
        (e["type"], {k: v for k, v in e["kwargs"].items() if k != "batch_id"}) for e in SUITE["expectations"][:3]]
