from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.conftest import contract_text
from traingate.results import CheckResult, RunResult


def one(run: Callable[..., RunResult], kind: str, checks: str, rows: list[dict[str, Any]]) -> CheckResult:
    (check,) = run(contract_text(kind, f"  consistency:\n{checks}"), rows).checks
    return check


def test_same_prompt_different_scores_and_tolerance(run: Callable[..., RunResult]) -> None:
    rows = [{"prompt": "Rate: the sky is green", "response": "x", "score": "1"},
            {"prompt": "rate: the SKY is green!", "response": "y", "score": "4"},   # same input once normalised
            {"prompt": "Rate: water is wet", "response": "z", "score": "5"},
            {"prompt": "Rate: water is wet", "response": "z", "score": "4.5"},
            {"prompt": "Rate: fire is cold", "response": "w", "score": "1"},
            {"prompt": "Rate: snow is white", "response": "v", "score": "2"},
            {"prompt": "Rate: snow is white", "response": "v", "score": "n/a"}]  # not a number: labels compared
    check = one(run, "reward", "    - type: conflicting_labels\n", rows)
    assert check.findings == 6 and check.details["groups"] == 3
    check = one(run, "reward", "    - type: conflicting_labels\n      tolerance: 0.5\n", rows)
    assert check.findings == 4 and [m["line"] for m in check.details["largest_clusters"][0]["members"]] == [1, 2]
    assert [m["line"] for m in check.details["largest_clusters"][1]["members"]] == [6, 7]


def test_same_prompt_different_responses(run: Callable[..., RunResult]) -> None:
    rows = [{"prompt": "Capital of France?", "response": "Paris"}, {"prompt": "Capital of France?", "response": "paris."},
            {"prompt": "Capital of Spain?", "response": "Madrid"}, {"prompt": "Capital of Spain?", "response": "Lisbon"}]
    check = one(run, "sft", "    - type: conflicting_labels\n", rows)
    assert check.findings == 2 and [m["line"] for m in check.details["largest_clusters"][0]["members"]] == [3, 4]


def test_swapped_preferences_and_cycles(run: Callable[..., RunResult]) -> None:
    rows = [{"prompt": "p1", "chosen": "A", "rejected": "B"}, {"prompt": "p1", "chosen": "B", "rejected": "A"},  # swapped
            {"prompt": "p2", "chosen": "A", "rejected": "B"}, {"prompt": "p2", "chosen": "B", "rejected": "C"},
            {"prompt": "p2", "chosen": "C", "rejected": "A"},                                                   # cycle
            {"prompt": "p3", "chosen": "A", "rejected": "B"}, {"prompt": "p3", "chosen": "B", "rejected": "C"},
            {"prompt": "p3", "chosen": "A", "rejected": "C"},                                                   # consistent
            {"prompt": "p4", "chosen": "B", "rejected": "A"}]                                 # p1's swap, other prompt
    check = one(run, "preference", "    - type: preference_consistency\n", rows)
    assert check.findings == 5 and check.details["groups"] == 2
    assert sorted(len(c["members"]) for c in check.details["largest_clusters"]) == [2, 3]
