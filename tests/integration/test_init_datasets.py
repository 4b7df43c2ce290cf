"""`traingate init` on real datasets: it tells the kind from the columns, and the contract it writes lints
and passes on the same data."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli import invoke

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.mark.parametrize(("path", "kind", "mapped"), [
    ("code_alpaca/code_alpaca_2k.json", "sft", "prompt: instruction"),
    ("hh_rlhf_harmless_base_test/test.jsonl.gz", "preference", "kind: preference"),
    ("llamafactory_demos/glaive_toolcall_en_demo.json", "chat", "role: from"),
])
def test_init_writes_a_contract_that_lints_and_passes(shared: Path, tmp_path: Path, path: str, kind: str,
                                                      mapped: str) -> None:
    contract = tmp_path / "c.yaml"
    code, output = invoke("init", str(shared / path), "-o", str(contract))  # the kind left to the guess
    assert code == 0 and f"kind {kind}, guessed from the columns" in output
    text = contract.read_text()
    assert f"kind: {kind}\n" in text and mapped in text and "# observed" in text and "min_rows" in text
    assert invoke("lint", str(contract))[0] == 0
    code, output = invoke("validate", str(contract), str(shared / path))
    assert code == 0, output


def test_diff_finds_duplicates_and_pii_planted_in_a_copy(shared: Path, tmp_path: Path) -> None:
    import json

    rows = json.loads((shared / "code_alpaca" / "code_alpaca_2k.json").read_text(encoding="utf-8"))
    planted = rows + rows[:40] + [{"instruction": f"Email user {i}", "input": "", "output": f"Write to dev{i}@corpmail-inbox.com"}
                                  for i in range(10)]
    (tmp_path / "old.json").write_text(json.dumps(rows))
    (tmp_path / "new.json").write_text(json.dumps(planted))
    contract = tmp_path / "c.yaml"
    contract.write_text("contract: ca\nversion: 1.0.0\ndataset:\n  kind: sft\n"
                        "  fields: {prompt: instruction, context: input, response: output}\nchecks:\n"
                        "  uniqueness:\n    - {type: exact_duplicates, max_rate: 0.01}\n"
                        "  compliance:\n    - {type: pii, recognizers: patterns, max_rate: 0.02}\n")
    for name in ("old", "new"):
        invoke("validate", str(contract), str(tmp_path / f"{name}.json"), "--json", str(tmp_path / f"{name}.run.json"))
    code, output = invoke("diff", str(tmp_path / "old.run.json"), str(tmp_path / "new.run.json"))
    assert code == 1 and "uniqueness.exact_duplicates now failed (was passed)" in output
    assert "compliance.pii: rate" in output  # 10 more rows with an e-mail address (not at a reserved example domain)
