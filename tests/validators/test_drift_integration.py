"""Disjoint random halves of one real file (../shared/datasets) flag no feature at the default limits."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from traingate.contracts import parse_contract
from traingate.engine.runner import validate

pytestmark = [pytest.mark.integration, pytest.mark.slow]
FEATURES = "[chars.prompt, chars.context, chars.response, tokens.response, output_format, language]"
FILES = {"code_alpaca/code_alpaca_2k.json": "output",
         "gpteacher/roleplay-simple-deduped-roleplay-instruct.json.gz": "response"}


def _load(path: Path) -> list[dict[str, Any]]:
    data = path.read_bytes()
    items: list[dict[str, Any]] = json.loads(gzip.decompress(data) if path.suffix == ".gz" else data)
    return items


@pytest.mark.parametrize("name", sorted(FILES))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_halves_of_a_real_file_do_not_drift(shared: Path, tmp_path: Path, name: str, seed: int) -> None:
    items = _load(shared / name)
    order = np.random.default_rng(seed).permutation(len(items))
    half = len(items) // 2
    for part, chosen in (("a", order[:half]), ("b", order[half:])):
        (tmp_path / f"{part}.jsonl").write_text("".join(json.dumps(items[i]) + "\n" for i in chosen), encoding="utf-8")
    text = ("contract: c\nversion: 1.0.0\ndataset:\n  kind: sft\n"
            f"  fields: {{prompt: instruction, context: input, response: {FILES[name]}}}\n"
            f"checks:\n  consistency:\n    - type: drift\n      reference: a.jsonl\n      features: {FEATURES}\n")
    (tmp_path / "c.yaml").write_text(text)
    (check,) = validate(parse_contract(text, str(tmp_path / "c.yaml")), [str(tmp_path / "b.jsonl")]).checks
    assert check.status == "passed", check.message
    assert len(check.details["features"]) == 6 and not any(r["flagged"] for r in check.details["features"])
