"""Contamination in chat rows (turns without their role names), short eval items, question-only matching,
and split leakage's verified near part; self-built fixtures."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import contract_text, write_jsonl
from tests.engine.test_executors import _comparable
from tests.validators.test_contamination_leakage import run_check
from traingate.contracts import parse_contract
from traingate.engine import shards
from traingate.engine.runner import RunOptions, validate

LONG = "how many of the seven wonders of the ancient world are still standing"  # 13 words: one 13-gram
SHORT = "What percentage of the brain does a human typically use?"                # 10 words


def _chat(*turns: str) -> dict[str, list[dict[str, str]]]:
    return {"messages": [{"role": "user" if k % 2 == 0 else "assistant", "content": t} for k, t in enumerate(turns)]}


def _contamination(options: str = "", against: str = "{path: eval.jsonl}") -> str:
    return f"  uniqueness:\n    - type: contamination\n{options}      against: [{against}]\n"


def test_a_chat_turn_is_searched_without_its_role_name(tmp_path: Path) -> None:
    """The role name once stood glued to the turn's first word ('user:how'), so the item's only 13-gram
    could not match a turn that starts with it, nor a short item equal to a whole turn."""
    write_jsonl(tmp_path / "eval.jsonl", [{"question": LONG + "?"}, {"question": SHORT}])
    rows = [_chat(LONG.capitalize() + "?", "Only the Great Pyramid of Giza."),
            _chat("hi", "Hello!", SHORT, "About all of it."),
            _chat("What is 2+2?", "4")]
    check = run_check(tmp_path, "chat", _contamination(), [str(write_jsonl(tmp_path / "d.jsonl", rows))])
    (evalset,) = check.details["eval_sets"]
    assert check.findings == 2
    assert [(i["line"], [r["line"] for r in i["rows"]]) for i in evalset["leaked"]] == [(1, [1]), (2, [2])]


def test_short_items_match_within_one_turn_and_generic_ones_are_skipped(tmp_path: Path) -> None:
    """A short item is found as a whole word sequence inside one turn or field, never across two; items
    under `min_words` (default 5) are generic phrases and are not searched, whatever `ngram` is."""
    write_jsonl(tmp_path / "eval.jsonl", [{"question": "What do you do?"}, {"question": "Who are you?"},
                                          {"question": "Can sharks get cancer at all?"}])
    rows = [_chat("So, what do you do? I teach.", "Nice."),        # 4-word item inside a turn: generic
            _chat("Who are you?", "A model."),                      # 3-word item as a whole turn: generic
            _chat("I wonder: can sharks get", "cancer at all? No idea."),  # across two turns: not a copy
            _chat("Quick one. Can sharks get cancer at all?", "Yes.")]     # inside one turn
    data = [str(write_jsonl(tmp_path / "d.jsonl", rows))]
    (evalset,) = run_check(tmp_path, "chat", _contamination(), data).details["eval_sets"]
    assert [(i["line"], [r["line"] for r in i["rows"]]) for i in evalset["leaked"]] == [(3, [4])]
    assert evalset["too_short"] == 2
    # With 3-grams the 6-word item is matched by n-grams, across turns too; the two short ones stay unsearched.
    (evalset,) = run_check(tmp_path, "chat", _contamination("      ngram: 3\n"), data).details["eval_sets"]
    assert [i["line"] for i in evalset["leaked"]] == [3] and evalset["too_short"] == 2


def test_question_only_matching_finds_questions_copied_without_answers(tmp_path: Path) -> None:
    question = "A farmer has 17 sheep and all but 9 run away; how many sheep does the farmer have left at the end of the day"
    answer = "He has 9 sheep left because all but 9 of them ran away from the farm during the storm last night"
    write_jsonl(tmp_path / "eval.jsonl", [{"question": question, "answer": answer}])
    rows = [{"prompt": question, "response": "Nine."},             # the question alone
            {"prompt": question, "response": answer},               # question and answer
            {"prompt": "What is 2+2?", "response": "4"}]
    data = [str(write_jsonl(tmp_path / "d.jsonl", rows))]
    found = {}
    for match in ("question_and_answer", "question", "either"):
        against = f"{{path: eval.jsonl, answer_field: answer, match: {match}}}"
        check = run_check(tmp_path, "sft", _contamination(against=against), data)
        found[match] = [r["line"] for i in check.details["eval_sets"][0]["leaked"] for r in i["rows"]]
    assert found == {"question_and_answer": [2], "question": [1, 2], "either": [1, 2]}


def _shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    words = re.sub(r"[^\w\s]+", " ", text.lower()).split()
    return {tuple(words[k: k + n]) for k in range(max(len(words) - n + 1, 1))}


def _jaccard(a: str, b: str) -> float:
    x, y = _shingles(a), _shingles(b)
    return len(x & y) / len(x | y)


def test_split_leakage_verify_keeps_only_pairs_whose_exact_jaccard_passes(tmp_path: Path) -> None:
    """Test rows are train rows with 1 to 6 of 40 words changed: exact Jaccard from about 0.85 down to 0.4,
    computed here independently (only about one pair in six reaches 0.8, so every flagged pair is listed).
    Unverified, MinHash flags some below 0.8; verified, none."""
    rng = np.random.default_rng(5)
    vocabulary = [f"w{k}" for k in range(3000)]
    train, test = [], []
    for k in range(60):
        words = list(rng.choice(vocabulary, 40))
        train.append({"text": " ".join(words)})
        for position in rng.choice(40, 1 + k % 6, replace=False):
            words[position] = f"edit{k}x{position}"
        test.append({"text": " ".join(words)})
    write_jsonl(tmp_path / "train.jsonl", train)
    write_jsonl(tmp_path / "test.jsonl", test)
    data = [f"train={tmp_path / 'train.jsonl'}", f"test={tmp_path / 'test.jsonl'}"]
    truth = {k + 1 for k in range(60) if _jaccard(train[k]["text"], test[k]["text"]) >= 0.8}
    found = {}
    for verify in ("false", "true"):
        check = run_check(tmp_path, "pretraining", f"  uniqueness:\n    - type: split_leakage\n      verify: {verify}\n", data)
        found[verify] = check
    plain, verified = found["false"], found["true"]
    assert verified.details["verified"] is True and plain.details["verified"] is False
    assert "verified" in verified.message and "MinHash estimate" in plain.message
    assert plain.findings > verified.findings  # MinHash let some pairs under 0.8 through
    flagged = {m["line"] for c in verified.details["largest_clusters"] for m in c["members"] if "test" in m["file"]}
    assert len(flagged) == verified.findings and flagged <= truth


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["local", "ray"])
def test_contamination_and_verified_leakage_give_the_same_result_on_workers(tmp_path: Path, engine: str,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    if engine == "ray":
        pytest.importorskip("ray")
    monkeypatch.setattr(shards, "MIN_SHARD_BYTES", 1)
    write_jsonl(tmp_path / "eval.jsonl", [{"question": LONG + "?"}, {"question": SHORT}])
    rng = np.random.default_rng(3)
    words = [f"w{k}" for k in range(400)]
    train = [_chat(" ".join(rng.choice(words, 30)), " ".join(rng.choice(words, 20))) for _ in range(300)]
    test = [dict(train[k]) if k % 7 else _chat(LONG if k % 2 else SHORT, "ok") for k in range(0, 300, 3)]
    for k, row in enumerate(test[::5]):  # edited copies: near-duplicates, some under the threshold
        turns = [dict(t) for t in row["messages"]]
        turns[0]["content"] = " ".join(turns[0]["content"].split()[: 30 - k % 4] + ["new"] * (k % 4))
        row["messages"] = turns
    data = [f"train={write_jsonl(tmp_path / 'train.jsonl', train)}", f"test={write_jsonl(tmp_path / 'test.jsonl', test)}"]
    checks = _contamination() + "    - type: split_leakage\n      verify: true\n"
    contract = parse_contract(contract_text("chat", checks), str(tmp_path / "c.yaml"))
    one = validate(contract, data, options=RunOptions(workers=1))
    two = validate(contract, data, options=RunOptions(workers=2, engine=engine))
    assert two.dataset.shards >= 4 and _comparable(two) == _comparable(one)
    contamination, leakage = one.checks
    assert contamination.findings > 0 and leakage.findings > 0 and leakage.details["verified"] is True
