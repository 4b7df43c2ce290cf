from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import contract_text
from traingate.results import RunResult

pytest.importorskip("wordllama")

ROWS = [
    {"text": "How do I reset my password?"},
    {"text": "What is the capital city of France?"},
    {"text": "Write a poem about the ocean at night."},
    {"text": "Give me a recipe for banana bread."},
    {"text": "How can I reset my password?"},              # paraphrase of row 1 (cosine 0.98)
    {"text": "Which city is the capital of France?"},      # paraphrase of row 2 (cosine 0.98)
    {"text": "Compose a poem describing the sea at night."},  # looser paraphrase of row 3 (cosine 0.75)
    {"text": "Explain how a car engine works."},
    {"text": ""},
]


def semantic(run: Callable[..., RunResult], options: str = "") -> dict[str, object]:
    checks = f"  uniqueness:\n    - type: semantic_duplicates\n{options}"
    (check,) = run(contract_text("pretraining", checks), ROWS).checks
    return {"findings": check.findings, "rows": check.rows, **check.details}


def test_planted_paraphrases_at_the_default_threshold(run: Callable[..., RunResult]) -> None:
    d = semantic(run)
    assert d["findings"] == 2 and d["cluster_sizes"] == {"2": 2} and d["embedded_rows"] == 8  # the empty row is skipped
    assert [[m["line"] for m in c["members"]] for c in d["largest_clusters"]] == [[1, 5], [2, 6]]


def test_a_lower_threshold_takes_the_looser_paraphrase(run: Callable[..., RunResult]) -> None:
    assert semantic(run, "      threshold: 0.7\n      block_rows: 64\n")["findings"] == 3


def test_sample_embeds_a_fixed_subset(run: Callable[..., RunResult]) -> None:
    d = semantic(run, "      sample: {rows: 4, seed: 1}\n")
    assert d["embedded_rows"] == 4 and d["sampled"] is True and d["total_rows"] == 9
