"""A run's sketches hold the data's own labels (a column named by a distribution check): a contract that
masks personal data masks them too, and labels masked alike are counted as one."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import contract_text, write_jsonl
from traingate.contracts import parse_contract
from traingate.engine.runner import validate

CHECKS = ("  compliance:\n    - {type: pii, recognizers: patterns, entities: [EMAIL_ADDRESS]}\n"
          "  coverage:\n    - {type: distribution, feature: owner, required: [team]}\n")


def test_sketch_labels_are_masked_and_merged(tmp_path: Path) -> None:
    rows = ([{"text": "a row", "owner": "maria.lopez@protonmail.com"}] * 3
            + [{"text": "a row", "owner": "john.smith@fastmail.com"}] * 2 + [{"text": "a row", "owner": "team"}])
    contract = parse_contract(contract_text("pretraining", CHECKS), str(tmp_path / "c.yaml"))
    result = validate(contract, [str(write_jsonl(tmp_path / "d.jsonl", rows))])
    text = result.model_dump_json()
    assert "protonmail" not in text and "fastmail" not in text
    owner = next(s for s in json.loads(text)["sketches"] if s["name"] == "owner")
    assert owner["counts"] == [5, 1] and owner["values"][1] == "team" and "EMAIL" in owner["values"][0]
    assert len(set(owner["values"])) == len(owner["values"])
