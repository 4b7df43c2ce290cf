"""The zero-shot features `topic` and `task_type`: nearest label, the `other` floor, a contract's own labels,
rows without text, the merge law through coverage checks, and the real model on obvious rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from tests.conftest import contract_text
from traingate.contracts import parse_contract
from traingate.data.batch import BatchContext
from traingate.data.tokenizers import get_tokenizer
from traingate.engine.runner import check_ids
from traingate.errors import ContractError
from traingate.results import RunResult
from traingate.validators import build
from traingate.validators.common import topics
from traingate.validators.common.topics import NO_TEXT, OTHER, ZeroShot, classify, nearest

VOCAB = ("money", "bank", "doctor", "pain", "python", "code", "poem", "story")


def fake_embed(texts: list[str], model: str) -> np.ndarray:
    """A word-count vector over VOCAB, normalised (zero for a text with none of its words)."""
    out = np.array([[t.lower().split().count(w) for w in VOCAB] for t in texts], dtype=np.float32).reshape(-1, len(VOCAB))
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


@pytest.fixture(autouse=True)
def fake(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[None]:
    topics.label_vectors.cache_clear()
    if "slow" not in request.keywords:
        monkeypatch.setattr(topics, "embed_texts", fake_embed)
    yield
    topics.label_vectors.cache_clear()


LABELS = {"finance": ["money", "bank"], "health": "doctor pain", "programming": ["python code"]}


def test_nearest_label_by_cosine_and_ties_to_the_first() -> None:
    table = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], np.float32)
    rows = np.array([[0.9, 0.1, 0], [0, 0.2, 0.8], [0.5, 0.5, 0], [0, 0, 0]], np.float32)
    rows[:3] /= np.linalg.norm(rows[:3], axis=1, keepdims=True)
    # centred on the labels' mean (1/3, 1/3, 1/3): the order of similarity is kept for these rows
    assert nearest(rows, table, ["a", "b", "c"], floor=-1.0) == ["a", "c", "a", NO_TEXT]


def test_label_vector_is_the_mean_of_its_phrases() -> None:
    labels = ZeroShot("topic", LABELS).label_set()
    table = topics.label_vectors(labels, "m")
    money, bank = fake_embed(["money", "bank"], "m")
    expected = (money + bank) / np.linalg.norm(money + bank)
    assert np.allclose(table[0], expected) and np.allclose(table[1], fake_embed(["doctor pain"], "m")[0])


def test_custom_labels_floor_and_empty_rows() -> None:
    texts = ["my bank lost money", "the doctor saw my pain", "python code here", "a poem", "", "   ",
             "money doctor"]
    # "a poem" holds no label's word: centred, it is orthogonal to every label (similarity 0): `other`.
    # "money doctor" is as near finance as health (centred similarity 0.25 each, worked out by hand): the
    # first listed wins, and a floor above 0.25 makes it `other`.
    ask = ZeroShot("topic", LABELS, min_similarity=0.2)
    assert classify(texts, ask) == ["finance", "health", "programming", OTHER, NO_TEXT, NO_TEXT, "finance"]
    assert classify(texts, ZeroShot("topic", LABELS, min_similarity=0.3))[6] == OTHER
    assert classify(texts, ZeroShot("topic", LABELS, min_similarity=-1.0))[3] != OTHER  # no floor: a label


def test_derived_key_tells_label_sets_apart() -> None:
    a, b = ZeroShot("topic", LABELS), ZeroShot("topic", {**LABELS, "art": "poem story"})
    assert a.key() != b.key() and a.key() == ZeroShot("topic", dict(LABELS)).key()
    assert ZeroShot("topic").key() != ZeroShot("task_type").key()
    assert ZeroShot("topic", min_similarity=0.2).key() != ZeroShot("topic").key()


def rows() -> list[dict[str, str]]:
    prompts = ["bank money"] * 4 + ["doctor pain"] * 3 + ["python code"] * 2 + ["", "poem"]
    return [{"prompt": p, "response": "ok"} for p in prompts]


def labelled_check(extra: str = "") -> str:
    return ("  coverage:\n    - type: distribution\n      feature: topic\n      required: [finance, health]\n"
            "      targets: {programming: {min: 0.25}}\n      min_similarity: 0.3\n      labels:\n"
            "        finance: [money, bank]\n        health: doctor pain\n        programming: [python code]\n" + extra)


def test_distribution_over_topic_counts_each_label(run: Callable[..., RunResult]) -> None:
    (check,) = run(contract_text("sft", labelled_check()), rows()).checks
    # 11 rows: 4 finance, 3 health, 2 programming, 1 without prompt (its response 'ok': no known word,
    # a zero vector, so `none`), 1 'poem' under the floor
    assert check.details["counts"] == {"finance": 4, "health": 3, "programming": 2, "none": 1, "other": 1}
    assert check.status == "failed" and check.details["violations"] == ["'programming' at 18.2%, outside [25%, 100%]"]


def test_task_type_reads_the_prompt_not_the_response(run: Callable[..., RunResult]) -> None:
    data = [{"prompt": "write a poem", "response": "python code python code"}] * 3
    checks = ("  coverage:\n    - type: diversity\n      feature: task_type\n      min_distinct: 1\n      labels:\n"
              "        creative: poem story\n        coding: python code\n")
    (check,) = run(contract_text("sft", checks), data).checks
    assert check.details["counts"] == {"creative": 3}


@pytest.mark.parametrize("bad, message", [
    ("      feature: language\n      labels: {a: x, b: y}\n", "apply to the features topic and task_type"),
    ("      feature: topic\n      labels: {other: x, b: y}\n", "reserved"),
    ("      feature: topic\n      labels: {a: '', b: y}\n", "needs a description"),
    ("      feature: topic\n      labels: {a: [], b: y}\n", "needs a description"),
    ("      feature: topic\n      labels: {a: x}\n", "at least two labels"),
])
def test_label_options_are_checked_when_the_contract_loads(bad: str, message: str) -> None:
    text = contract_text("sft", "  coverage:\n    - type: distribution\n      required: [a]\n" + bad)
    with pytest.raises(ContractError, match=message):
        parse_contract(text, "c.yaml")


def test_merge_law_any_split_of_the_batches() -> None:
    contract = parse_contract(contract_text("sft", labelled_check("    - type: diversity\n      feature: task_type\n"
                                                                  "      min_entropy: 0.1\n")), "c.yaml")
    table = pa.Table.from_pylist(rows() * 3)
    n = table.num_rows

    def batches(cuts: list[int]) -> list[BatchContext]:
        bounds = [0, *cuts, n]
        return [BatchContext(table.slice(a, b - a), contract.dataset, get_tokenizer("whitespace"), file="f.jsonl",
                             file_index=0, lines=np.arange(a + 1, b + 1), unit="line", split="train", row_offset=a)
                for a, b in zip(bounds, bounds[1:])]

    for config, check_id in zip(contract.all_checks(), check_ids(contract)):
        validator = build(config, contract.dataset, check_id)
        whole = validator.create_state()
        for batch in batches([]):
            whole = validator.add_batch(whole, batch)
        for cuts in ([1], [5, 17], [10, 11, 30]):
            parts = [validator.add_batch(validator.create_state(), batch) for batch in batches(cuts)]
            merged = parts[0]
            for part in parts[1:]:
                merged = validator.merge_states(merged, part)
            assert validator.finalize(merged).model_dump() == validator.finalize(whole).model_dump()


def test_missing_extra_fails_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from tests.cli.test_cli import invoke

    monkeypatch.setitem(sys.modules, "wordllama", None)  # as if the extra were not installed
    monkeypatch.setattr("traingate.errors.installed", lambda module: module != "wordllama")
    (tmp_path / "c.yaml").write_text(contract_text("sft", "  coverage:\n    - type: distribution\n      feature: topic\n"
                                                   "      required: [science]\n"))
    (tmp_path / "d.jsonl").write_text("not json at all\n")  # read, it would be a format finding, not exit 3
    code, output = invoke("validate", str(tmp_path / "c.yaml"), str(tmp_path / "d.jsonl"))
    assert code == 3 and "pip install 'traingate[semantic]'" in " ".join(output.split())


OBVIOUS_TOPICS = [
    ("How do interest rates affect my savings account and loan payments at the bank?", "finance"),
    ("Should I invest in index funds or individual stocks for retirement?", "finance"),
    ("What are the symptoms of diabetes and how is it treated by doctors?", "health"),
    ("Which vitamins help the immune system fight a virus infection?", "health"),
    ("Can my landlord evict me without a court order under tenancy law?", "law"),
    ("Write a Python function that sorts a list of dictionaries by key.", "computing"),
    ("Solve the quadratic equation x^2 - 5x + 6 = 0.", "math"),
    ("Why did the Roman Empire fall in the fifth century?", "society"),
    ("How do photosynthesis and cellular respiration work in plant cells?", "science"),
    ("Recommend a good recipe for dinner with chicken and rice.", "everyday"),
    ("Who painted the Mona Lisa and what makes the painting famous?", "arts"),
    ("What is the best movie of all time and who starred in it?", "arts"),
]


@pytest.mark.slow
def test_real_model_labels_obvious_rows() -> None:
    pytest.importorskip("wordllama")
    got = classify([t for t, _ in OBVIOUS_TOPICS], ZeroShot("topic"))
    right = sum(g == want for g, (_, want) in zip(got, OBVIOUS_TOPICS))
    assert right >= 10, list(zip(got, OBVIOUS_TOPICS))
    tasks = classify(["Write a Python function that reverses a string.", "Write a poem about the autumn sea.",
                      "Summarize the following article in two sentences: ...", "Solve for x: 2x + 3 = 11."],
                     ZeroShot("task_type"))
    assert tasks == ["code", "creative_writing", "summarisation", "math_reasoning"]


def test_a_column_of_that_name_is_counted_as_it_is(run: Callable[..., RunResult]) -> None:
    data = [{"prompt": "bank money", "response": "ok", "topic": "qa"}] * 2 + [{"prompt": "bank money", "response": "ok",
                                                                               "topic": "math"}]
    (check,) = run(contract_text("sft", "  coverage:\n    - type: distribution\n      feature: topic\n"
                                 "      required: [qa]\n"), data).checks
    assert check.details["counts"] == {"qa": 2, "math": 1} and check.status == "passed"


@pytest.mark.parametrize("order", ["column first", "column last"])
def test_a_column_in_some_files_only_is_the_feature_for_the_whole_run(tmp_path: Path, order: str) -> None:
    """Rows of a file holding a `topic` column were counted by it, rows of another file labelled zero-shot:
    two meanings in one count. The column, held by any file, is the feature; rows without it have no value,
    in whichever order the files come and however the batches are split (test_merge_law_...)."""
    from tests.conftest import write_jsonl
    from traingate.engine.runner import validate

    with_column = write_jsonl(tmp_path / "a.jsonl", [{"prompt": "bank money", "response": "ok", "topic": "Mortgages"}] * 2)
    without = write_jsonl(tmp_path / "b.jsonl", [{"prompt": "doctor pain", "response": "ok"}] * 3)
    files = [str(with_column), str(without)] if order == "column first" else [str(without), str(with_column)]
    contract = parse_contract(contract_text("sft", "  coverage:\n    - type: distribution\n      feature: topic\n"
                                            "      required: [Mortgages]\n"), "c.yaml")
    (check,) = validate(contract, files).checks
    assert check.status == "passed" and check.details["counts"] == {"": 3, "Mortgages": 2}


def test_a_column_seen_in_one_part_blanks_the_other_part_s_labels() -> None:
    contract = parse_contract(contract_text("sft", "  coverage:\n    - type: distribution\n      feature: topic\n"
                                            "      required: [sea]\n"), "c.yaml")
    validator = build(contract.all_checks()[0], contract.dataset, check_ids(contract)[0])

    def state(rows: list[dict[str, str]]) -> Any:
        batch = BatchContext(pa.Table.from_pylist(rows), contract.dataset, get_tokenizer("whitespace"), file="f.jsonl",
                             file_index=0, lines=np.arange(1, len(rows) + 1), unit="line", split="train", row_offset=0)
        return validator.add_batch(validator.create_state(), batch)

    labelled, column = state([{"prompt": "bank money", "response": "ok"}] * 2), state([{"prompt": "x", "topic": "sea"}])
    for merged in (validator.merge_states(labelled, column), validator.merge_states(column, labelled)):
        assert merged.values == {"": 2, "sea": 1} and merged.column_seen


def test_labels_given_classify_every_row_even_beside_a_column(run: Callable[..., RunResult]) -> None:
    data = [{"prompt": "bank money", "response": "ok", "topic": "Mortgages"}, {"prompt": "doctor pain", "response": "ok"}]
    (check,) = run(contract_text("sft", labelled_check()), data).checks
    assert check.details["counts"] == {"finance": 1, "health": 1}


def test_the_default_model_is_the_one_the_labels_were_tuned_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The label phrases and the `other` floor were fitted to wordllama, and the accuracy documented is
    wordllama's: the semantic checks' default model moving (minilm-static: task_type on BIG-Bench Hard 0.493 ->
    0.264) does not move these features."""
    from traingate.data import embeddings

    monkeypatch.setattr(embeddings, "DEFAULT_MODEL", "minilm-static")
    assert topics.default_model() == "wordllama" and ZeroShot("topic").key().startswith("topic:wordllama:")
