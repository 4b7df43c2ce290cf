"""`semantic_duplicates` at its defaults on real long texts whose rows are all distinct (alpaca_eval GPT-4
outputs, 805 distinct instructions): few rows flagged, while near-copies planted among them are found
(benchmarks/semantic_long.py prints the full table)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import contract_text
from traingate.results import RunResult

pytest.importorskip("tokenizers")


def alpaca(shared: Path) -> list[dict[str, str]]:
    rows = json.loads((shared / "alpaca_eval" / "gpt4_1106_preview_model_outputs.json").read_text(encoding="utf-8"))
    return [{"prompt": r["instruction"], "response": r["output"]} for r in rows]


def duplicates(run: Callable[..., RunResult], rows: list[dict[str, str]], on: str = "") -> RunResult:
    return run(contract_text("sft", f"  uniqueness:\n    - type: semantic_duplicates\n{on}"), rows)


@pytest.mark.integration
@pytest.mark.slow
def test_distinct_long_answers_are_not_called_duplicates(run: Callable[..., RunResult], shared: Path) -> None:
    rows = alpaca(shared)
    assert len({r["prompt"] for r in rows}) == 805
    assert duplicates(run, rows).checks[0].findings <= 8  # 133 with the cosine alone
    assert duplicates(run, rows, "      on: [response]\n").checks[0].findings <= 8  # 142 with the cosine alone


@pytest.mark.integration
@pytest.mark.slow
def test_near_copies_of_long_answers_are_found(run: Callable[..., RunResult], shared: Path) -> None:
    rows = alpaca(shared)
    rng = random.Random(4)
    sources = rng.sample(range(len(rows)), 20)
    copies = []
    for k, i in enumerate(sources):
        words = rows[i]["response"].split()
        if k % 2:  # 5% of the words replaced by words of another response
            other = rows[(i + 1) % len(rows)]["response"].split()
            words = [rng.choice(other) if rng.random() < 0.05 else w for w in words]
        else:  # its two halves swapped
            words = words[len(words) // 2:] + words[: len(words) // 2]
        copies.append({"prompt": rows[i]["prompt"], "response": " ".join(words)})
    (check,) = duplicates(run, rows + copies, "      top_clusters: 100\n").checks
    lines = [{m["line"] for m in c["members"]} for c in check.details["largest_clusters"]]
    found = sum(any({i + 1, len(rows) + k + 1} <= c for c in lines) for k, i in enumerate(sources))
    assert found >= 19 and check.findings <= 20 + 8
