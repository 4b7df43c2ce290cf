"""`traingate init` on real datasets: the contract it writes lints, and passes on the same data."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli import invoke

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("path", "kind", "mapped"), [
    ("code_alpaca/code_alpaca_2k.json", "sft", "prompt: instruction"),
    ("hh_rlhf_harmless_base_test/test.jsonl.gz", "preference", "kind: preference"),
    ("llamafactory_demos/glaive_toolcall_en_demo.json", "chat", "role: from"),
])
def test_init_writes_a_contract_that_lints_and_passes(shared: Path, tmp_path: Path, path: str, kind: str,
                                                      mapped: str) -> None:
    contract = tmp_path / "c.yaml"
    code, output = invoke("init", str(shared / path), "--kind", kind, "-o", str(contract))
    assert code == 0 and "profiled" in output
    text = contract.read_text()
    assert mapped in text and "# observed" in text and "min_rows" in text
    assert invoke("lint", str(contract))[0] == 0
    code, output = invoke("validate", str(contract), str(shared / path))
    assert code == 0, output
