"""A misconfigured check errs as a contract problem with a hint; it does not fail as if every row were bad.
A grouping key empty or constant in every row (conflicting_labels' input, agreement's item and annotator,
split_leakage's `on`), a coverage feature empty in every row, and a named value the data holds only in
another case are each a `contract problem: ` naming the key, what was seen and the fix; the gate errs
(exit 3). The same data under a correct contract does not err, and a value the data truly lacks stays a
data failure. Each case is checked in one process, folded in two halves and merged, and on two workers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from tests.conftest import contract_text, write_jsonl
from traingate.contracts import parse_contract
from traingate.data.batch import BatchContext
from traingate.data.tokenizers import get_tokenizer
from traingate.engine.runner import RunOptions, check_ids, validate
from traingate.results import CheckResult, RunResult
from traingate.validators import build

N = 12
Rows = dict[str, list[dict[str, Any]]]  # split ('' for none) -> rows


def preference(prompt: Any = ...) -> Rows:
    """hh-rlhf's shape: the prompt inside chosen and rejected; `prompt` given: a prompt column of that value."""
    rows = [{"chosen": f"Human: question {i % 4}? Assistant: yes {i}", "rejected": f"Human: question {i % 4}? Assistant: no {i}"}
            for i in range(N)]
    return {"": [r if prompt is ... else {"prompt": prompt, **r} for r in rows]}


def sft(**columns: Callable[[int], Any]) -> Rows:
    return {"": [{"prompt": f"question {i}", "response": f"answer {i}", **{k: f(i) for k, f in columns.items()}}
                 for i in range(N)]}


def labels(**columns: Callable[[int], Any]) -> Rows:
    """Long layout: a row per (item, annotator, label)."""
    return {"": [{"text": f"t{i}", "label": str(i % 2), **{k: f(i) for k, f in columns.items()}} for i in range(N)]}


def splits(names: tuple[str, str] = ("train", "test")) -> Rows:
    rows = [{"system": "You are a helpful assistant.", "context": "", "prompt": f"question {i}", "response": f"answer {i}"}
            for i in range(N)]
    return {names[0]: rows[: N // 2], names[1]: rows[N // 2:]}


@dataclass
class Case:
    kind: str
    checks: str  # the misconfigured check
    fixed: str  # the same check configured for the data
    rows: Rows
    seen: str  # what the error says was seen, after "contract problem: "
    hint: str
    extra: str = ""  # further dataset lines


TOPICS = {"topic": lambda i: ["math", "qa", "code"][i % 3], "empty": lambda i: [None, "", " "][i % 3]}
CASES = {
    "preference without a prompt column": Case(
        "preference", "conflicting_labels\n", "conflicting_labels\n      on: [chosen]\n      label: rejected\n",
        preference(), "field 'prompt' is missing or empty in all 12 rows",
        "set `on:` to the fields that identify an input, or map the prompt's column in dataset.fields "
        "(fields: {prompt: <column>}); fields seen in the data: chosen, rejected", "  optional_fields: [prompt]\n"),
    "preference with an empty prompt": Case(
        "preference", "conflicting_labels\n", "conflicting_labels\n      on: [chosen]\n      label: rejected\n",
        preference(prompt=" "), "field 'prompt' is missing or empty in all 12 rows",
        "fields seen in the data: chosen, rejected"),
    "one prompt for every row": Case(
        "sft", "conflicting_labels\n", "conflicting_labels\n      on: [prompt, context]\n",
        {"": [{"prompt": "Summarise the text.", "context": f"text {i}", "response": f"summary {i}"} for i in range(N)]},
        "field 'prompt' holds the same value in all 12 rows",
        "set `on:` to the fields that identify an input; fields seen in the data: context, prompt, response"),
    "agreement item empty": Case(
        "pretraining", "agreement\n", "agreement\n      item: question\n",
        labels(item=lambda i: None, question=lambda i: f"q{i % 4}", annotator=lambda i: f"a{i % 3}"),
        "column 'item' is missing or empty in all 12 rows", "set `item:` to the column naming the item each label is about"),
    "agreement annotator constant": Case(
        "pretraining", "agreement\n", "agreement\n      annotator: rater\n",
        labels(item=lambda i: f"q{i % 4}", annotator=lambda i: "batch-7", rater=lambda i: f"a{i % 3}"),
        "column 'annotator' holds the same value in all 12 rows", "set `annotator:` to the column naming who gave each label"),
    "agreement wide columns empty": Case(
        "pretraining", "agreement\n      layout: wide\n      annotators: [r1, r2]\n",
        "agreement\n      layout: wide\n      annotators: [a1, a2]\n",
        labels(r1=lambda i: None, r2=lambda i: "", a1=lambda i: str(i % 2), a2=lambda i: str(i % 3 % 2)),
        "columns 'r1', 'r2' are missing or empty in all 12 rows",
        "set `annotators:` to the columns holding each annotator's labels"),
    "distribution feature empty": Case(
        "sft", "distribution\n      feature: empty\n      targets: {math: {min: 0.2}}\n",
        "distribution\n      feature: topic\n      targets: {math: {min: 0.2}}\n", sft(**TOPICS),
        "feature 'empty' is missing or empty in all 12 rows", "set `feature:` to a column holding each row's value"),
    "distribution target in another case": Case(
        "sft", "distribution\n      feature: topic\n      targets: {Math: {min: 0.2}, 'QA.': {max: 0.5}}\n",
        "distribution\n      feature: topic\n      targets: {math: {min: 0.2}, qa: {max: 0.5}}\n", sft(**TOPICS),
        "value 'Math' of feature 'topic' never occurs, but 'math' does (4 rows)",
        "did you mean 'math'?; value 'QA.' of feature 'topic' never occurs, but 'qa' does (4 rows); did you mean 'qa'?"),
    "diversity feature empty": Case(
        "sft", "diversity\n      feature: empty\n      min_distinct: 2\n",
        "diversity\n      feature: topic\n      min_distinct: 2\n", sft(**TOPICS),
        "feature 'empty' is missing or empty in all 12 rows", "or a built-in feature (language, output_format"),
    "split_leakage on a constant field": Case(
        "sft", "split_leakage\n      on: [system]\n", "split_leakage\n", splits(),
        "field 'system' (in train and test rows) holds the same value in all 12 rows",
        "set `on:` to the fields holding what a test row must not share with train"),
    "split_leakage on an empty field": Case(
        "sft", "split_leakage\n      on: [context]\n", "split_leakage\n      on: [prompt]\n", splits(),
        "field 'context' (in train and test rows) is missing or empty in all 12 rows", "set `on:`"),
    "split name in another case": Case(
        "sft", "split_leakage\n", "split_leakage\n      train: [Train]\n", splits(("Train", "test")),
        "split 'train' never occurs, but 'Train' does (6 rows)", "did you mean 'Train'?"),
}
GROUP = {"conflicting_labels": "consistency", "agreement": "consistency", "distribution": "coverage",
         "diversity": "coverage", "split_leakage": "uniqueness"}


def contract_of(case: Case, checks: str) -> str:
    name = checks.split("\n")[0]
    return contract_text(case.kind, f"  {GROUP[name]}:\n    - type: {checks}", extra=case.extra)


def files(tmp_path: Path, rows: Rows) -> list[str]:
    """Each split's rows in two files (so that two workers take one each), `split=path` when labelled."""
    out = []
    for split, part in rows.items():
        for half, chunk in enumerate((part[: len(part) // 2], part[len(part) // 2:])):
            path = write_jsonl(tmp_path / f"{split or 'all'}-{half}.jsonl", chunk)
            out.append(f"{split}={path}" if split else str(path))
    return out


def gate(tmp_path: Path, case: Case, checks: str, workers: int = 1) -> RunResult:
    contract = parse_contract(contract_of(case, checks), str(tmp_path / "contract.yaml"))
    return validate(contract, files(tmp_path, case.rows), options=RunOptions(workers=workers))


def assert_problem(case: Case, check: CheckResult) -> None:
    assert check.status == "errored", check.message
    assert check.error is not None and check.error.startswith("contract problem: " + case.seen), check.error
    assert case.hint in check.error and check.message == check.error


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_misconfigured_check_errs_with_a_hint_and_a_configured_one_does_not(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    result = gate(tmp_path, case, case.checks)
    (check,) = result.checks
    assert_problem(case, check)
    assert result.gate.verdict == "errored" and result.gate.exit_code == 3
    (fixed,) = gate(tmp_path, case, case.fixed).checks
    assert fixed.status in ("passed", "failed") and fixed.error is None, fixed.message
    assert not fixed.message.startswith("contract problem")


def batches(case: Case, contract: Any) -> list[BatchContext]:
    """A batch per half of each split's rows, numbered as the files of `files` would be."""
    out: list[BatchContext] = []
    for split, part in case.rows.items():
        for chunk in (part[: len(part) // 2], part[len(part) // 2:]):
            out.append(BatchContext(pa.Table.from_pylist(chunk), contract.dataset, get_tokenizer("whitespace"),
                                    file=f"{len(out)}.jsonl", file_index=len(out), lines=np.arange(1, len(chunk) + 1),
                                    unit="line", split=split or "all", row_offset=0))
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_problem_is_the_same_whatever_the_split_of_the_rows(name: str) -> None:
    """The evidence merges: folding every batch equals merging the folds of any two parts, in either order."""
    case = CASES[name]
    contract = parse_contract(contract_of(case, case.checks), "c.yaml")
    (config,), (check_id,) = contract.all_checks(), check_ids(contract)
    validator = build(config, contract.dataset, check_id)
    parts = batches(case, contract)

    def fold(chunks: list[BatchContext]) -> Any:
        state = validator.create_state()
        for chunk in chunks:
            state = validator.add_batch(state, chunk)
        return state

    whole = validator.finalize(fold(parts))
    assert_problem(case, whole)
    for cut in range(1, len(parts)):
        for first, second in ((parts[:cut], parts[cut:]), (parts[cut:], parts[:cut])):
            merged = validator.finalize(validator.merge_states(fold(first), fold(second)))
            assert (merged.status, merged.error, merged.rows) == (whole.status, whole.error, whole.rows)


@pytest.mark.slow
def test_two_workers_find_the_same_problems_as_one_process(tmp_path: Path) -> None:
    for name, case in sorted(CASES.items()):
        folder = tmp_path / name.replace(" ", "_")
        folder.mkdir()
        (one,), parallel = gate(folder, case, case.checks).checks, gate(folder, case, case.checks, workers=2)
        (two,) = parallel.checks
        assert parallel.dataset.shards >= 2 and parallel.gate.exit_code == 3
        assert_problem(case, two)
        assert (two.status, two.error, two.rows) == (one.status, one.error, one.rows), name


def test_the_preference_example_errs_instead_of_failing_every_row(run: Callable[..., RunResult]) -> None:
    """A preference set of chosen and rejected only (the prompt inside them, as hh-rlhf): conflicting_labels
    once put every row in one group and failed 100% of them."""
    rows = preference()[""] * 10
    yaml = contract_text("preference", "  consistency:\n    - type: conflicting_labels\n", extra="  optional_fields: [prompt]\n")
    (check,) = run(yaml, rows).checks
    assert check.status == "errored" and check.findings == 0 and check.details == {} and check.rows == 120
    assert check.error == ("contract problem: field 'prompt' is missing or empty in all 120 rows; set `on:` to the fields "
                           "that identify an input, or map the prompt's column in dataset.fields (fields: {prompt: "
                           "<column>}); fields seen in the data: chosen, rejected")
    mapped = [{"question": r["chosen"].split(" Assistant")[0], **r} for r in rows]
    (fixed,) = run(yaml.replace("  optional_fields: [prompt]\n", "  fields: {prompt: question}\n"), mapped).checks
    assert fixed.status == "failed" and fixed.error is None  # the same 4 questions with other answers: real conflicts
    assert fixed.details["groups"] == 4 and sum(fixed.details["cluster_sizes"].values()) == 4


def test_a_value_the_data_lacks_stays_a_data_failure_and_says_so(run: Callable[..., RunResult]) -> None:
    yaml = contract_text("sft", "  coverage:\n    - type: distribution\n      feature: topic\n"
                                "      targets: {poetry: {min: 0.05}, math: {min: 0.2}}\n      required: [legal]\n")
    (check,) = run(yaml, sft(**TOPICS)[""]).checks
    assert check.status == "failed" and check.error is None
    assert check.details["violations"] == ["value 'legal' never occurs (required)",
                                           "value 'poetry' never occurs (target >= 5%)"]
    assert "value 'poetry' never occurs (target >= 5%)" in check.message


def test_one_value_is_a_finding_where_it_can_be(run: Callable[..., RunResult], tmp_path: Path) -> None:
    """A coverage feature may rightly hold one value (every row in English); split_leakage's default content
    equal in every row is every test row leaked."""
    yaml = contract_text("sft", "  coverage:\n    - type: diversity\n      feature: topic\n      min_distinct: 2\n")
    (check,) = run(yaml, sft(topic=lambda i: "math")[""]).checks
    assert check.status == "failed" and check.details["distinct_values"] == 1
    same = {split: [{"prompt": "q", "response": "a"}] * len(rows) for split, rows in splits().items()}
    (leaked,) = gate(tmp_path, Case("sft", "", "", same, "", ""), "split_leakage\n").checks
    assert leaked.status == "failed" and leaked.findings == N // 2 and leaked.error is None
    one_item = labels(item=lambda i: "q1", annotator=lambda i: f"a{i}")[""]
    (agreement,) = run(contract_text("pretraining", "  consistency:\n    - type: agreement\n"), one_item).checks
    assert agreement.status == "passed" and agreement.details["items"] == 1 and agreement.details["annotators"] == N


def test_a_feature_the_contract_declares_optional_may_be_empty(run: Callable[..., RunResult]) -> None:
    """dataset.optional_fields excuses an empty coverage feature (nothing to count, as the contract says); it does
    not excuse a grouping key, by which every row would fall in one group."""
    checks = "  coverage:\n    - type: distribution\n      feature: empty\n      targets: {math: {max: 0.5}}\n"
    yaml = contract_text("sft", checks, extra="  optional_fields: [empty]\n")
    (check,) = run(yaml, sft(**TOPICS)[""]).checks
    assert check.status == "passed" and check.error is None
    assert CASES["preference without a prompt column"].extra == "  optional_fields: [prompt]\n"
