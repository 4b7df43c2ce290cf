from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import contract_text
from traingate.errors import ContractError
from traingate.results import RunResult

pytest.importorskip("wordllama")

ROWS = [{"prompt": "How do I bake banana bread?", "response": "Mash bananas, mix, bake at 180C."},
        {"prompt": "Recipe for pancakes with blueberries", "response": "Whisk flour, eggs and milk."},
        {"prompt": "Explain the event horizon of a black hole", "response": "It is the boundary of no return."},
        {"prompt": "Which stocks should I buy this year?", "response": "I cannot give financial advice."}]


def test_similarity_to_task_and_reference_examples(run: Callable[..., RunResult], tmp_path: Path) -> None:
    examples = ["How long should I knead bread dough?", "What temperature to roast a chicken?"]
    (tmp_path / "refs.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in examples))
    checks = ("  relevance:\n    - type: similarity\n      task: Recipes and baking instructions for home cooks\n"
              f"      references: {tmp_path / 'refs.jsonl'}\n      min_similarity: 0.3\n")
    (check,) = run(contract_text("sft", checks), ROWS).checks
    assert check.findings == 2 and sorted(s.line for s in check.samples) == [3, 4]  # black holes and stocks


def test_scorer_function_from_a_module(run: Callable[..., RunResult], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "team_scorer.py").write_text("def score(rows):\n    return [len(r['response']) for r in rows]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    checks = "  relevance:\n    - type: scorer\n      function: 'team_scorer:score'\n      min_score: 32\n"
    (check,) = run(contract_text("sft", checks), ROWS).checks
    assert check.details["by_reason"] == {"below_32": 2}  # responses of 27 and 31 characters
    with pytest.raises(ContractError, match="scorer 'team_scorer:nope' cannot be loaded"):
        run(contract_text("sft", checks.replace(":score", ":nope")), ROWS)
