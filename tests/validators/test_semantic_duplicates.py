from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from tests.conftest import ROOT, contract_text, write_jsonl
from traingate.contracts import parse_contract
from traingate.data.batch import BatchContext
from traingate.data.embeddings import Embedded, embed, embed_rows
from traingate.data.tokenizers import get_tokenizer
from traingate.engine.runner import check_ids
from traingate.results import RunResult
from traingate.validators import build
from traingate.validators.common.samples import seeded_keys

pytest.importorskip("tokenizers")

ROWS = [
    {"text": "How do I reset my password?"},
    {"text": "What is the capital city of France?"},
    {"text": "Write a poem about the ocean at night."},
    {"text": "Give me a recipe for banana bread."},
    {"text": "How can I reset my password?"},              # paraphrase of row 1 (cosine 0.96; wordllama 0.98)
    {"text": "Which city is the capital of France?"},      # paraphrase of row 2 (cosine 0.96; wordllama 0.98)
    {"text": "Compose a poem describing the sea at night."},  # looser paraphrase of row 3 (0.74; wordllama 0.75)
    {"text": "Explain how a car engine works."},
    {"text": ""},
]


def semantic(run: Callable[..., RunResult], options: str = "") -> dict[str, object]:
    checks = f"  uniqueness:\n    - type: semantic_duplicates\n{options}"
    (check,) = run(contract_text("pretraining", checks), ROWS).checks
    return {"findings": check.findings, "rows": check.rows, **check.details}


def test_planted_paraphrases_at_the_default_threshold(run: Callable[..., RunResult]) -> None:
    d = semantic(run)
    assert d["model"] == "minilm-static" and d["threshold"] == 0.73
    assert d["findings"] == 3 and d["cluster_sizes"] == {"2": 3} and d["embedded_rows"] == 8  # the empty row is skipped
    assert [[m["line"] for m in c["members"]] for c in d["largest_clusters"]] == [[1, 5], [2, 6], [3, 7]]


def test_a_higher_threshold_drops_the_looser_paraphrase(run: Callable[..., RunResult]) -> None:
    assert semantic(run, "      threshold: 0.9\n      block_rows: 64\n")["findings"] == 2


def test_wordllama_stays_available(run: Callable[..., RunResult]) -> None:
    pytest.importorskip("wordllama")
    d = semantic(run, "      model: wordllama\n      threshold: 0.95\n")
    assert d["model"] == "wordllama" and d["findings"] == 2
    assert semantic(run, "      model: wordllama\n      threshold: 0.7\n")["findings"] == 3


def test_the_static_model_confuses_swapped_entities(run: Callable[..., RunResult]) -> None:
    """A known limit, pinned so that a better model shows up here: the mean of token vectors barely moves
    when one name changes (France / Germany: cosine 0.93)."""
    a, b = embed(["What is the capital city of France?", "What is the capital city of Germany?"])
    assert float(a @ b) > 0.73


def test_sample_embeds_a_fixed_subset(run: Callable[..., RunResult]) -> None:
    d = semantic(run, "      sample: {rows: 4, seed: 1}\n")
    assert d["embedded_rows"] == 4 and d["sampled"] is True and d["total_rows"] == 9


SENTENCE = ("The committee met on a rainy Tuesday to review the harbour budget, and after long debate it agreed to "
            "repair the north pier before winter. ")


def _batches(rows: list[dict[str, str]], options: str, cuts: list[int]) -> tuple[Any, list[BatchContext]]:
    contract = parse_contract(contract_text("pretraining", f"  uniqueness:\n    - type: semantic_duplicates\n{options}"),
                              "c.yaml")
    table = pa.Table.from_pylist(rows)
    bounds = sorted({0, *cuts, len(rows)})
    return contract, [BatchContext(table.slice(a, b - a), contract.dataset, get_tokenizer("whitespace"), file="f.jsonl",
                                   file_index=0, lines=np.arange(a + 1, b + 1), unit="line", split="train", row_offset=a)
                      for a, b in zip(bounds, bounds[1:])]


def _fold_counting(monkeypatch: pytest.MonkeyPatch, rows: list[dict[str, str]], options: str,
                   cuts: list[int]) -> tuple[list[str], Any]:
    """The texts handed to the model, and the check's state, folding the rows cut into batches at `cuts`."""
    from traingate.validators.uniqueness import semantic

    handed: list[str] = []

    def counting(texts: list[str], model: str) -> Embedded:
        handed.extend(texts)
        return embed_rows(texts, model)

    monkeypatch.setattr(semantic, "embed_rows", counting)
    contract, batches = _batches(rows, options, cuts)
    v = build(contract.all_checks()[0], contract.dataset, check_ids(contract)[0])
    state = v.create_state()
    for batch in batches:
        state = v.add_batch(state, batch)
    return handed, state


def test_sample_embeds_only_rows_that_can_be_sampled(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"text": f"Question {i}: how many boats fit in harbour number {i * 7}?"} for i in range(300)]
    ids = np.arange(1, 301, dtype=np.uint64)  # one file, file index 0: a row's id is its line
    smallest = {int(i) for i in ids[np.argsort(seeded_keys(ids, 5))[:12]]}  # the sample, computed apart
    handed, state = _fold_counting(monkeypatch, rows, "      sample: {rows: 12, seed: 5}\n", [])
    assert len(handed) == 12 and {int(i) for i in np.concatenate(state.ids)} == smallest
    handed, state = _fold_counting(monkeypatch, rows, "      sample: {rows: 12, seed: 5}\n", [50, 100, 150, 200, 250])
    assert len(handed) <= 6 * 12 and {int(i) for i in np.concatenate(state.ids)} == smallest
    assert set(handed) >= {rows[i - 1]["text"] for i in smallest}


@pytest.mark.parametrize("name", ["minilm-static", "wordllama"])
def test_a_long_row_embeds_as_the_mean_of_all_its_token_vectors(name: str) -> None:
    from traingate.data.embedding_models import load

    if name == "wordllama":
        pytest.importorskip("wordllama")
    long_text = " ".join(f"{SENTENCE}Item {i}." for i in range(400))  # ~10,000 tokens: many windows and pieces
    model = load(name)
    ids = np.asarray(model.tokenizer.encode(long_text, add_special_tokens=False).ids)
    mean = model.table[ids[ids != model.dropped] if model.dropped is not None else ids].astype(np.float64).mean(axis=0)
    vectors = embed(["A short row.", long_text, "Another short row."], name)
    assert float(vectors[1] @ (mean / np.linalg.norm(mean))) > 0.99999
    alone = embed([long_text], name)[0]
    assert np.array_equal(alone, vectors[1])  # a row's vector does not depend on the rows embedded with it


MEMORY_SCRIPT = """
import json, resource, sys
from tests.conftest import contract_text
from traingate.contracts import parse_contract
from traingate.engine.runner import RunOptions, validate
contract = parse_contract(contract_text("pretraining", "  uniqueness:\\n    - type: semantic_duplicates\\n"), "c.yaml")
validate(contract, [sys.argv[1]], options=RunOptions(workers=1))  # imports and the model loaded
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = validate(contract, [sys.argv[2]], options=RunOptions(workers=1))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"added_mib": (after - before) / 1024, "embedded": result.checks[0].details["embedded_rows"]}))
"""


def test_peak_memory_is_bounded_with_one_very_long_row(tmp_path: Path) -> None:
    """255 short rows and one of 2,500 words: the model's own batching padded all 256 rows to the longest
    (1.2 GB here); in token windows the run adds a few MiB."""
    short = [{"text": f"{SENTENCE} Row {i}."} for i in range(255)]
    warm, data = write_jsonl(tmp_path / "warm.jsonl", short), write_jsonl(tmp_path / "d.jsonl", short)
    with data.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"text": " ".join([SENTENCE] * 100)}) + "\n")
    done = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(warm), str(data)], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    figures = json.loads(done.stdout.splitlines()[-1])
    assert figures["embedded"] == 256 and figures["added_mib"] < 150, figures


def _long_texts(words: int = 300) -> list[str]:
    """Eight texts of `words` words, each drawn (seeded) from its own eighth of the model's whole-word
    vocabulary: no word in common, yet their mean vectors converge as they grow (cosine about 0.8), and a
    near-copy of the first: 5% of its words replaced, its two halves swapped."""
    from traingate.data.embedding_models import load

    vocabulary = sorted(w for w in load("minilm-static").tokenizer.get_vocab() if w.isascii() and w.isalpha()
                        and len(w) >= 4)
    rng = random.Random(3)
    texts = [[rng.choice(vocabulary[topic::8]) for _ in range(words)] for topic in range(8)]
    copy = [rng.choice(vocabulary[1::8]) if rng.random() < 0.05 else w for w in texts[0]]
    copy = copy[words // 2:] + copy[: words // 2]
    return [" ".join(t) for t in [*texts, copy]]


def test_long_unrelated_texts_are_not_duplicates_but_a_near_copy_is(run: Callable[..., RunResult]) -> None:
    texts = _long_texts()
    vectors = embed(texts)
    unrelated = vectors[:8] @ vectors[:8].T
    assert unrelated[np.triu_indices(8, 1)].min() > 0.73  # the cosine alone would join all eight
    (check,) = run(contract_text("pretraining", "  uniqueness:\n    - type: semantic_duplicates\n"),
                   [{"text": t} for t in texts]).checks
    assert check.findings == 1 and check.details["cluster_sizes"] == {"2": 1}
    assert [m["line"] for m in check.details["largest_clusters"][0]["members"]] == [1, 9]


def test_short_rows_keep_the_cosine_alone(run: Callable[..., RunResult]) -> None:
    """Below LONG_TOKENS tokens the shared words are not asked for: a paraphrase sharing few words stays."""
    from traingate.validators.uniqueness.semantic_words import LONG_TOKENS

    rows = [{"text": "Write a poem about the ocean at night."}, {"text": "Compose a poem describing the sea at night."}]
    assert embed_rows([r["text"] for r in rows]).tokens.max() < LONG_TOKENS
    (check,) = run(contract_text("pretraining", "  uniqueness:\n    - type: semantic_duplicates\n"), rows).checks
    assert check.findings == 1


def test_the_shared_words_condition_holds_across_tiles(run: Callable[..., RunResult]) -> None:
    """The near-copy 100 rows after its source, in another 64-row tile, is found as in one tile."""
    texts = _long_texts()
    fillers = [{"text": f"Short question {i}: where does ferry {i * 13} leave from?"} for i in range(100)]
    rows = [{"text": t} for t in texts[:8]] + fillers + [{"text": texts[8]}]
    clusters = []
    for options in ("", "      block_rows: 64\n"):
        (check,) = run(contract_text("pretraining", f"  uniqueness:\n    - type: semantic_duplicates\n{options}"),
                       rows).checks
        clusters.append([[m["line"] for m in c["members"]] for c in check.details["largest_clusters"]])
    assert [1, 109] in clusters[0] and clusters[0] == clusters[1]


def test_shared_words_in_steps_equals_all_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.validators.uniqueness import semantic_words

    rng = np.random.default_rng(5)
    sketches = rng.integers(0, 4, size=(50, 64), dtype=np.uint16)  # few values: agreement near 1/4 to 1
    sketches[10:20] = sketches[0]
    tokens = rng.integers(0, 200, size=50)
    left, right = np.triu_indices(50, 1)
    expected = (tokens[left] < 64) & (tokens[right] < 64) | ((sketches[left] == sketches[right]).mean(axis=1) >= 0.5)
    whole = semantic_words.shared_words(sketches, tokens)(left, right)
    monkeypatch.setattr(semantic_words, "PAIRS_PER_STEP", 7)
    assert np.array_equal(semantic_words.shared_words(sketches, tokens)(left, right), whole)
    assert np.array_equal(whole, expected) and 0 < whole.sum() < len(whole)


def _state_in_pieces(seed: int) -> Any:
    """A state of 60 rows folded in uneven pieces, row ids shuffled; rows 0-29 long; sketches of few values so
    that some long pairs share half their values and some do not; vectors in 4 tight directions."""
    from traingate.validators.uniqueness.semantic_state import VectorState

    rng = np.random.default_rng(seed)
    directions = rng.standard_normal((4, 256))
    vectors = directions[rng.integers(0, 4, 60)] + 0.05 * rng.standard_normal((60, 256))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float16)
    sketches = rng.integers(0, 3, (60, 64)).astype(np.uint16)
    tokens = np.where(np.arange(60) < 30, 200, 10).astype(np.uint32)
    ids = rng.permutation(np.arange(1000, 1060)).astype(np.uint64)
    state = VectorState(rows=60)
    for part in np.split(np.arange(60), [7, 8, 31, 50]):
        state.vectors.append(vectors[part])
        state.sketches.append(sketches[part])
        state.tokens.append(tokens[part])
        state.ids.append(ids[part])
        state.priority.append(seeded_keys(ids[part], 0))
    return state


@pytest.mark.parametrize("seed", range(4))
def test_grouping_a_state_in_pieces_equals_sorting_whole_copies(seed: int) -> None:
    """The groups of a state held in pieces equal those computed the earlier way, from whole sorted copies."""
    from traingate.validators.uniqueness.semantic_groups import similar_groups
    from traingate.validators.uniqueness.semantic_words import shared_words

    contract, _ = _batches([{"text": "x"}], "      threshold: 0.9\n      block_rows: 64\n", [])
    v = build(contract.all_checks()[0], contract.dataset, check_ids(contract)[0])
    state = _state_in_pieces(seed)
    ids = np.concatenate(state.ids)
    order = np.argsort(ids, kind="stable")
    agree = shared_words(np.concatenate(state.sketches)[order], np.concatenate(state.tokens)[order])
    expected = similar_groups(np.concatenate(state.vectors).astype(np.float32)[order], ids[order], 0.9, 64, agree)
    got = v.clusters(state)
    assert [g.tolist() for g in got] == [g.tolist() for g in expected] and len(expected) >= 2
    assert all(len(getattr(state, name)) == 1 for name in ("vectors", "ids", "sketches", "tokens", "priority"))
    assert [g.tolist() for g in v.clusters(_state_in_pieces(seed))] == [g.tolist() for g in got]


def test_shedding_keeps_each_rows_sketch_and_token_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under --max-memory the rows kept hold the sketch and token count of their own text."""
    rows = [{"text": f"{SENTENCE * (1 + i % 5)} Note {i}: boat {i * 7}."} for i in range(40)]
    contract, batches = _batches(rows, "", [9, 10, 25])
    v = build(contract.all_checks()[0], contract.dataset, check_ids(contract)[0])
    state = v.create_state()
    for batch in batches:
        state = v.add_batch(state, batch)
    state = v.shed(v.shed(state))
    kept = np.concatenate(state.ids).astype(np.int64)
    assert len(kept) == 10 and all(len(np.concatenate(getattr(state, n))) == 10 for n in ("sketches", "tokens"))
    direct = embed_rows([rows[i - 1]["text"] for i in kept])  # a row's id is its line (one file, index 0)
    assert np.array_equal(np.concatenate(state.sketches), direct.sketches)
    assert np.array_equal(np.concatenate(state.tokens), direct.tokens) and len(set(direct.tokens.tolist())) > 1


@pytest.mark.parametrize("seed", range(4))
def test_long_rows_fold_as_merged_folds(seed: int) -> None:
    """The merge law on rows the shared-token condition judges (the law's own rows are all short): folding
    every batch into one state, or two states merged either way round, gives the same clusters and result."""
    rng = random.Random(seed)
    texts = _long_texts()
    rows = [{"text": t} for t in [*texts, texts[3], texts[5][: len(texts[5]) // 2]]]
    rows += [{"text": f"Where does ferry {i} leave from?"} for i in range(12)] + [{"text": "Where does ferry 3 leave?"}]
    rng.shuffle(rows)
    contract, batches = _batches(rows, "      block_rows: 64\n", sorted(rng.sample(range(1, len(rows)), 4)))
    v = build(contract.all_checks()[0], contract.dataset, check_ids(contract)[0])

    def fold(part: list[BatchContext]) -> Any:
        state = v.create_state()
        for batch in part:
            state = v.add_batch(state, batch)
        return state

    k = rng.randrange(1, len(batches))
    results = [v.finalize(s) for s in (fold(batches), v.merge_states(fold(batches[:k]), fold(batches[k:])),
                                       v.merge_states(fold(batches[k:]), fold(batches[:k])))]
    assert results[0].findings >= 3 and all(r.model_dump() == results[0].model_dump() for r in results[1:])
