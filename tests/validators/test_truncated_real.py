"""`truncated` on real chat responses, against a hand-labelled sample (tests/validators/data/truncated_labelled.json)."""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import contract_text
from traingate.results import RunResult

LABELS = Path(__file__).parent / "data" / "truncated_labelled.json"
FINISHED = {"list_item", "heading", "url", "hashtags", "signature", "title"}


def responses(shared: Path) -> list[dict[str, str]]:
    """The 2,000-response sample: oasst en100 assistant messages, LIMA answers, alpaca_eval gpt4_1106 outputs, shuffled."""
    out: list[tuple[str, str, str]] = []

    def walk(node: dict[str, Any], prompt: str) -> None:
        if node.get("role") == "assistant":
            out.append(("oasst", prompt, node["text"]))
        for reply in node.get("replies") or []:
            walk(reply, node["text"])

    for line in (shared / "oasst_en100_trees" / "en_100_message.jsonl").read_text(encoding="utf-8").splitlines():
        walk(json.loads(line), "")
    with gzip.open(shared / "lima_and_oasst_zh" / "lima.json.gz", "rt", encoding="utf-8") as f:
        for r in json.load(f):
            out.append(("lima", r["instruction"], r["output"]))
            out += [("lima", q, a) for q, a in r.get("history") or []]
    for r in json.loads((shared / "alpaca_eval" / "gpt4_1106_preview_model_outputs.json").read_text(encoding="utf-8")):
        out.append(("alpaca_eval", r["instruction"], r["output"]))
    random.Random(21).shuffle(out)
    return [{"source": s, "prompt": p, "response": a} for s, p, a in out[:2000]]


@pytest.mark.integration
@pytest.mark.slow
def test_labelled_finished_forms_are_not_called_truncated(run: Callable[..., RunResult], shared: Path) -> None:
    rows = responses(shared)
    items = json.loads(LABELS.read_text(encoding="utf-8"))["items"]
    labelled = [rows[item["index"]] for item in items]
    assert [hashlib.sha256(r["response"].encode()).hexdigest()[:16] for r in labelled] == [i["sha256"] for i in items]
    (check,) = run(contract_text("sft", "  alignment:\n    - type: truncated\n"), labelled).checks
    flagged = {s.line for s in check.samples if s.reason == "ends_mid_sentence"}
    assert check.findings < 20  # every flagged row is among the samples
    finished = {n for n, item in enumerate(items, 1) if item["form"] in FINISHED}
    assert finished and not flagged & finished
    assert {n for n, item in enumerate(items, 1) if item["truncated"]} <= flagged
