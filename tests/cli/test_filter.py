"""`traingate filter` on the command line: the dropped rows are the records `validate --rejects` writes at the
same severity, the counts it prints are the files' own, its exit codes, and the gate-then-fix cookbook's
commands run as the page shows them."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from tests.cli.test_cli import invoke
from tests.conftest import ROOT, contract_text, write_jsonl
from tests.engine.test_evidence import CHECKS, workspace

WARNED = CHECKS.replace("      limit: 400\n      fields: [response]\n",
                        "      limit: 400\n      fields: [response]\n      severity: warn\n")


def setup(tmp_path: Path, checks: str = CHECKS) -> list[str]:
    _, data, _ = workspace(tmp_path)
    (tmp_path / "c.yaml").write_text(contract_text("sft", checks))
    return [str(tmp_path / "c.yaml"), *data]


@pytest.mark.slow  # over 2 s: out of the quick loop
@pytest.mark.parametrize(("keep", "fail_on"), [([], []), (["--keep", "warn"], ["--fail-on", "warn"])])
def test_filter_drops_what_validate_rejects(tmp_path: Path, keep: list[str], fail_on: list[str]) -> None:
    args = setup(tmp_path, WARNED)
    code, output = invoke("filter", *args, "-o", str(tmp_path / "out") + "/", "--rejects", str(tmp_path / "f.jsonl"), *keep)
    assert code == 0, output
    validated, _ = invoke("validate", *args, "--rejects", str(tmp_path / "v.jsonl"), *fail_on)
    assert validated == 1 and (tmp_path / "f.jsonl").read_bytes() == (tmp_path / "v.jsonl").read_bytes()
    dropped = [json.loads(line) for line in (tmp_path / "f.jsonl").read_text().splitlines()]
    kept = sum(len((tmp_path / "out" / f).read_text().splitlines()) for f in ("train.jsonl", "test.jsonl"))
    assert kept + len(dropped) == 270 and f"kept {kept} rows, dropped {len(dropped)} (0 unreadable)" in output
    assert any(c["check"] == "format.max_chars" for r in dropped for c in r["checks"]) == bool(keep)


def test_an_output_never_overwrites_an_input(tmp_path: Path) -> None:
    args = setup(tmp_path)
    code, output = invoke("filter", *args, "-o", str(tmp_path) + "/")  # the outputs would be the inputs
    assert code == 2 and "an output never overwrites an input" in output
    code, output = invoke("filter", *args, "-o", str(tmp_path / "both.parquet"))
    assert code == 2 and "write to a folder" in output
    code, output = invoke("filter", *args, "-o", str(tmp_path / "o/"), "--keep", "info")
    assert code == 2 and "use error or warn" in output
    code, output = invoke("filter", *args)
    assert code == 2 and "-o" in output


def test_an_eval_set_the_contract_reads_is_never_overwritten(tmp_path: Path) -> None:
    args = setup(tmp_path)  # its contamination check reads eval.jsonl beside the contract
    quiz = tmp_path / "eval.jsonl"
    before = quiz.read_bytes()
    code, output = invoke("filter", *args, "-o", str(quiz))
    assert code == 2 and "an output never overwrites an input" in output
    code, output = invoke("filter", *args, "-o", str(tmp_path / "o") + "/", "--rejects", str(quiz))
    assert code == 2 and "--rejects" in output
    code, output = invoke("validate", *args, "--rejects", str(quiz))
    assert code == 2 and "an output never overwrites an input" in output
    assert quiz.read_bytes() == before


def test_an_errored_row_check_exits_3_and_says_its_rows_were_not_filtered(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"prompt": f"p{i}", "response": "" if i % 4 else "r"} for i in range(8)])
    checks = ("  format:\n    - type: empty_text\n    - type: max_chars\n      limit: 5\n      fields: [nothing]\n"
              "  quantity:\n    - type: min_rows\n      min: 100\n")
    (tmp_path / "c.yaml").write_text(contract_text("sft", checks))
    code, output = invoke("filter", str(tmp_path / "c.yaml"), str(tmp_path / "d.jsonl"), "-o", str(tmp_path / "k.jsonl"))
    assert code == 3 and "check format.max_chars errored, so its rows were not filtered" in output
    assert "kept 2 rows, dropped 6" in output and "quantity.min_rows: failed" in output
    assert len((tmp_path / "k.jsonl").read_text().splitlines()) == 2


def _cookbook() -> tuple[str, list[list[str]]]:
    page = (ROOT / "docs" / "cookbook" / "gate-then-fix.md").read_text()
    contract = re.findall(r"```yaml\n(.*?)```", page, re.S)[0]
    commands = [block.strip().split("\n")[0] for block in re.findall(r"```\n(traingate .*?)```", page, re.S)]
    return contract, [re.findall(r'"[^"]*"|\S+', c) for c in commands]


def test_the_cookbook_commands_run_as_the_page_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    contract, commands = _cookbook()
    assert [c[:2] for c in commands] == [["traingate", "validate"], ["traingate", "filter"], ["traingate", "validate"],
                                         ["traingate", "promote"]]
    rng = random.Random(4)
    words = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "theta"]
    rows = [{"prompt": " ".join(rng.choices(words, k=6)), "response": " ".join(rng.choices(words, k=12))}
            for _ in range(160)]
    rows[5] = dict(rows[2])  # a duplicate, a longer copy of it kept
    rows[9] = {**rows[2], "response": rows[2]["response"] + "  "}
    rows[20]["response"] = "mail ann@acme.com"
    rows[30]["response"] = " padded "  # whitespace: a warn check, kept by default
    (tmp_path / "data").mkdir()
    (tmp_path / "evals").mkdir()
    write_jsonl(tmp_path / "data" / "train.jsonl", rows[:140])
    write_jsonl(tmp_path / "data" / "test.jsonl", [rows[7], *rows[140:]])  # row 8 of train leaks into test
    write_jsonl(tmp_path / "evals" / "quiz.jsonl", [{"question": rows[40]["response"]}])
    (tmp_path / "contract.yaml").write_text(contract)
    monkeypatch.chdir(tmp_path)
    codes = [invoke(*[a.strip('"') for a in command[1:]]) for command in commands]
    assert [code for code, _ in codes] == [1, 0, 0, 0], [out[-400:] for _, out in codes]
    dropped = [json.loads(line) for line in Path("dropped.jsonl").read_text().splitlines()]
    assert Path("dropped.jsonl").read_bytes() == Path("rejects.jsonl").read_bytes()
    assert {(r["file"].split("/")[-1], r["line"]) for r in dropped} == {
        ("train.jsonl", 3), ("train.jsonl", 6), ("train.jsonl", 21), ("train.jsonl", 41), ("test.jsonl", 1)}
    kept = [json.loads(line) for line in Path("clean/train.jsonl").read_text().splitlines()]
    assert rows[9] in kept and rows[30] in kept and rows[2] not in kept  # the longest copy, and the warned row


def test_install_hints_in_help_keep_their_extras() -> None:
    """Rich reads `[ray]` as markup and drops it unless escaped: the help must name the extra."""
    from typer.testing import CliRunner

    from traingate.cli.app import app

    for command in ("validate", "filter"):
        shown = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"}).output
        assert "traingate[ray]" in shown, command
