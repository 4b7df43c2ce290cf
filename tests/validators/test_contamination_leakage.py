from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import contract_text, write_jsonl
from traingate.contracts import parse_contract
from traingate.engine.runner import validate
from traingate.results import CheckResult

QUESTION = "A farmer has 17 sheep and all but 9 run away; how many sheep does the farmer have left at the end of the day"
ANSWER = "He has 9 sheep left because all but 9 ran away"


def run_check(tmp_path: Path, kind: str, checks: str, data: list[str], fields: str = "") -> CheckResult:
    contract = parse_contract(contract_text(kind, checks, fields), str(tmp_path / "contract.yaml"))
    (check,) = validate(contract, data).checks
    return check


def test_contamination_counts_rows_and_leaked_items(tmp_path: Path) -> None:
    planet = {"question": "Name the largest planet in the solar system please", "answer": "Jupiter"}
    write_jsonl(tmp_path / "eval.jsonl", [{"question": QUESTION, "answer": ANSWER}, planet])
    rows = [
        {"prompt": QUESTION.upper() + "?!", "response": ANSWER},             # the whole item: leaked (case, punctuation)
        {"prompt": "Tell me: " + QUESTION[:60], "response": "no idea"},        # about half the question's words
        {"prompt": "What is 2+2?", "response": "4"},                           # clean
        {"prompt": "Quiz", "response": "Name the largest planet in the solar system please. Jupiter"},
    ]
    write_jsonl(tmp_path / "train.jsonl", rows)
    checks = ("  uniqueness:\n    - type: contamination\n      ngram: 8\n"
              "      against: [{path: eval.jsonl, answer_field: answer, name: quiz}]\n")
    check = run_check(tmp_path, "sft", checks, [str(tmp_path / "train.jsonl")])
    (evalset,) = check.details["eval_sets"]
    # Row 1 holds all of item 0; row 4 all of item 1 (its n-grams span question and answer); row 2 holds only
    # the first 11 words of item 0's 30, i.e. 4 of its 23 8-grams (17%) -- below the 50% default.
    assert check.findings == 2 and check.status == "failed"
    assert evalset["name"] == "quiz" and evalset["item_count"] == 2 and evalset["leaked_items"] == 2
    assert [(i["line"], [r["line"] for r in i["rows"]], i["best_share"]) for i in evalset["leaked"]] == [
        (1, [1], 1.0), (2, [4], 1.0)]


def test_contamination_threshold_and_missing_eval_file(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "eval.jsonl", [{"question": QUESTION}])
    write_jsonl(tmp_path / "train.jsonl", [{"text": "Tell me: " + QUESTION[:60]}])
    checks = ("  uniqueness:\n    - type: contamination\n      ngram: 8\n      min_overlap: 0.15\n"
              "      against: [{path: eval.jsonl}]\n")
    assert run_check(tmp_path, "pretraining", checks, [str(tmp_path / "train.jsonl")]).findings == 1
    from traingate.errors import SourceError
    try:
        run_check(tmp_path, "pretraining", checks.replace("eval.jsonl", "nope.jsonl"), [str(tmp_path / "train.jsonl")])
    except SourceError as exc:
        assert "nope.jsonl" in str(exc) and "relative to the contract" in str(exc)
    else:
        raise AssertionError("a missing eval set must be an error")


def test_split_leakage_exact_and_near(tmp_path: Path) -> None:
    train = [{"text": "the quick brown fox jumps over the lazy dog near the river bank today"},
             {"text": "an entirely different sentence about baking bread at home with rye flour"}]
    test = [{"text": "The quick brown fox jumps over the lazy dog near the river bank today!"},  # exact after normalising
            {"text": "an entirely different sentence about baking bread at home with wheat flour"},  # near
            {"text": "nothing like the training data at all, a sentence about chess openings"}]
    write_jsonl(tmp_path / "train.jsonl", train)
    write_jsonl(tmp_path / "test.jsonl", test)
    data = [f"train={tmp_path / 'train.jsonl'}", f"test={tmp_path / 'test.jsonl'}"]
    near = run_check(tmp_path, "pretraining", "  uniqueness:\n    - type: split_leakage\n      threshold: 0.5\n", data)
    exact = run_check(tmp_path, "pretraining", "  uniqueness:\n    - type: split_leakage\n      threshold: null\n", data)
    assert (near.findings, near.rows, exact.findings) == (2, 3, 1)
    assert near.details["rows_by_split"] == {"test": 3, "train": 2}


def test_split_leakage_without_splits_fails_and_says_why(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "all.jsonl", [{"text": "a b c"}])
    check = run_check(tmp_path, "pretraining", "  uniqueness:\n    - type: split_leakage\n", [str(tmp_path / "all.jsonl")])
    assert check.status == "failed" and "no train or test split" in check.message


def test_eval_sets_load_from_any_format(tmp_path: Path) -> None:
    (tmp_path / "eval.json").write_text(json.dumps([{"q": {"text": QUESTION}}]))
    write_jsonl(tmp_path / "train.jsonl", [{"text": QUESTION}])
    checks = "  uniqueness:\n    - type: contamination\n      against: [{path: eval.json, field: q.text}]\n"
    assert run_check(tmp_path, "pretraining", checks, [str(tmp_path / "train.jsonl")]).findings == 1


def test_every_test_row_in_a_bucket_with_a_train_row_is_a_leak(tmp_path: Path) -> None:
    """The test file comes first, so a bucket's first row is a test row: each test row still pairs with
    the bucket's train row (not only the bucket's first row)."""
    text = "the quick brown fox jumps over the lazy dog near the river bank today"
    write_jsonl(tmp_path / "test.jsonl", [{"text": text}, {"text": text}, {"text": "unrelated words about chess"}])
    write_jsonl(tmp_path / "train.jsonl", [{"text": text}])
    data = [f"test={tmp_path / 'test.jsonl'}", f"train={tmp_path / 'train.jsonl'}"]
    for threshold in ("null", "0.5"):
        check = run_check(tmp_path, "pretraining", f"  uniqueness:\n    - type: split_leakage\n      threshold: {threshold}\n",
                          data)
        assert (check.findings, check.rows, check.details["pairs"]) == (2, 3, 2), threshold
