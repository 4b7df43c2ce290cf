"""Uniqueness checks over real data. Each figure is recomputed here with plain Python sets and strings
(NFKC, lower case, punctuation and symbols to spaces, words), independently of the numpy/rensa code."""

from __future__ import annotations

import gzip
import json
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_shared_datasets import by_id, load, run

pytestmark = [pytest.mark.integration, pytest.mark.slow]


class _Spaced(dict[int, str]):
    """str.translate table: each punctuation or symbol character (Unicode category P* or S*) to a space,
    every other character to itself; each character's category is looked up once."""

    def __missing__(self, code: int) -> str:
        self[code] = " " if unicodedata.category(chr(code))[0] in "PS" else chr(code)
        return self[code]


SPACED = _Spaced()


def words(text: str) -> list[str]:
    return unicodedata.normalize("NFKC", text).lower().translate(SPACED).split()


def item_lines(text: str) -> dict[int, int]:
    """Line each top-level item of a JSON array starts on -> its index (read with the standard decoder)."""
    decoder, at, starts = json.JSONDecoder(), text.index("[") + 1, {}
    line, counted = 1, 0  # the line of `counted`: newlines are counted once, up to each item's start
    while True:
        while text[at] in " \t\r\n,":
            at += 1
        if text[at] == "]":
            return starts
        line, counted = line + text.count("\n", counted, at), at
        starts[line] = len(starts)
        at = decoder.raw_decode(text, at)[1]


def ngrams(w: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(w[i: i + n]) for i in range(len(w) - n + 1)}


def leaked(train: list[str], items: list[str], n: int = 13, share: float = 0.5, min_words: int = 5) -> tuple[int, int]:
    """(leaked items, contaminated rows) by the rule the check documents, the slow way (short items searched
    over the whole row, where the check searches each field: the same on these sets)."""
    rows = [words(t) for t in train]
    row_grams = [ngrams(r, n) for r in rows]
    owners: dict[tuple[str, ...], set[int]] = defaultdict(set)
    for i, grams in enumerate(row_grams):
        for g in grams:
            owners[g].add(i)
    spaced = [f" {' '.join(r)} " for r in rows]  # words hold no space: a run of words is a run of spaced words
    items_hit, rows_hit = 0, set()
    for item in map(words, items):
        if len(item) >= n:
            grams = ngrams(item, n)
            counts: dict[int, int] = defaultdict(int)
            for g in grams:
                for r in owners.get(g, ()):
                    counts[r] += 1
            hit = {r for r, c in counts.items() if c / len(grams) >= share}
        elif len(item) >= min_words:  # the rows whose words hold the item's words in a row
            run = f" {' '.join(item)} "
            hit = {i for i, r in enumerate(spaced) if run in r}
        else:
            hit = set()
        items_hit += bool(hit)
        rows_hit |= hit
    return items_hit, len(rows_hit)


def contamination(tmp_path: Path, fields: str, data: Path, against: list[dict[str, Any]]) -> Any:
    sets = "".join(f"        - {json.dumps(a)}\n" for a in against)
    yaml_text = (f"contract: c\nversion: 1.0.0\ndataset:\n  kind: sft\n  fields: {fields}\nchecks:\n  uniqueness:\n"
                 f"    - type: contamination\n      against:\n{sets}")
    return by_id(run(yaml_text, data, tmp_path=tmp_path))["uniqueness.contamination"]


def test_gsm8k_socratic_holds_every_test_question(shared: Path, tmp_path: Path) -> None:
    test, socratic = shared / "gsm8k" / "test.jsonl", shared / "gsm8k" / "test_socratic.jsonl"
    check = contamination(tmp_path, "{prompt: question, response: answer}", socratic,
                          [{"path": str(test), "field": "question"}])
    expected = leaked([r["question"] + " " + r["answer"] for r in load(socratic)], [r["question"] for r in load(test)])
    (evalset,) = check.details["eval_sets"]
    assert (evalset["leaked_items"], check.findings) == expected == (1319, 1319)


def test_mgsm_english_is_gsm8k_test(shared: Path, tmp_path: Path) -> None:
    rows = [line.split("\t")[0] for line in (shared / "mgsm" / "mgsm_en.tsv").read_text(encoding="utf-8").splitlines()]
    data = tmp_path / "mgsm_en.jsonl"
    data.write_text("".join(json.dumps({"prompt": q, "response": ""}) + "\n" for q in rows))
    test = shared / "gsm8k" / "test.jsonl"
    check = contamination(tmp_path, "{prompt: prompt, response: response}", data, [{"path": str(test)}])
    expected = leaked(rows, [r["question"] for r in load(test)])
    assert (check.details["eval_sets"][0]["leaked_items"], check.findings) == expected
    assert check.findings == len(rows) == 250


def test_ifeval_responses_contain_their_prompts(shared: Path, tmp_path: Path) -> None:
    prompts = shared / "ifeval" / "input_data.jsonl"
    responses = shared / "ifeval" / "input_response_data_gpt4_20231107_145030.jsonl"
    check = contamination(tmp_path, "{prompt: prompt, response: response}", responses,
                          [{"path": str(prompts), "field": "prompt"}])
    expected = leaked([r["prompt"] + " " + r["response"] for r in load(responses)], [r["prompt"] for r in load(prompts)])
    assert (check.details["eval_sets"][0]["leaked_items"], check.findings) == expected == (540, 540)


def test_alpaca_eval_holds_self_instruct_and_vicuna_questions(shared: Path, tmp_path: Path) -> None:
    data = shared / "alpaca_eval" / "gpt4_1106_preview_model_outputs.json"
    si = shared / "self_instruct" / "user_oriented_instructions.jsonl"
    vicuna = shared / "fastchat_mt_bench" / "vicuna_bench_question.jsonl"
    check = contamination(tmp_path, "{prompt: instruction, response: output}", data,
                          [{"path": str(si), "field": "instruction"}, {"path": str(vicuna), "field": "turns"}])
    train = [r["instruction"] + " " + r["output"] for r in load(data)]
    by_name = {s["name"]: s for s in check.details["eval_sets"]}
    si_expected = leaked(train, [r["instruction"] for r in load(si)])[0]
    vicuna_expected = leaked(train, [" ".join(r["turns"]) for r in load(vicuna)])[0]
    assert by_name["user_oriented_instructions.jsonl"]["leaked_items"] == si_expected == 249  # 3 items have < 5 words
    assert by_name["vicuna_bench_question.jsonl"]["leaked_items"] == vicuna_expected == 80
    labels = [r["dataset"] for r in load(data)]
    assert labels.count("selfinstruct") == 252 and labels.count("vicuna") == 80  # the source labels agree


def test_code_alpaca_against_gpteacher_codegen(shared: Path, tmp_path: Path) -> None:
    data, codegen = shared / "code_alpaca" / "code_alpaca_2k.json", shared / "gpteacher" / "codegen-instruct.json.gz"
    check = contamination(tmp_path, "{prompt: instruction, context: input, response: output}", data,
                          [{"path": str(codegen), "field": "instruction"}])
    train = [" ".join([r["input"], r["instruction"], r["output"]]) for r in load(data)]
    expected = leaked(train, [r["instruction"] for r in load(codegen)])
    assert (check.details["eval_sets"][0]["leaked_items"], check.findings) == expected


NEAR = """contract: toolformer
version: 1.0.0
dataset: {kind: sft, fields: {prompt: instruction, context: input, response: response}}
checks:
  uniqueness:
    - {type: exact_duplicates}
    - {type: exact_duplicates, name: loose, normalize: [unicode, case, punctuation, whitespace]}
    - {type: near_duplicates, verify: true}
"""


def test_gpteacher_similarity_filtered_files_hold_fewer_near_duplicates(shared: Path, tmp_path: Path) -> None:
    counts = []
    for name in ("dedupe-only", "similarity-0.9", "similarity-0.8", "similarity-0.7", "similarity-0.6"):
        data = shared / "gpteacher" / f"toolformer-{name}-dataset.json.gz"
        rows = load(data)
        index = item_lines(gzip.decompress(data.read_bytes()).decode("utf-8"))  # a sample's line is its item's first line
        checks = by_id(run(NEAR, data, tmp_path=tmp_path))
        exact, near = checks["uniqueness.exact_duplicates"], checks["uniqueness.near_duplicates"]
        fields = ("instruction", "input", "response")
        strict = {tuple(" ".join(unicodedata.normalize("NFKC", r[f]).split()) for f in fields) for r in rows}
        loose = {tuple(" ".join(words(r[f])) for f in fields) for r in rows}
        assert exact.findings == len(rows) - len(strict) == 0  # the authors removed exact duplicates ...
        assert checks["loose"].findings == len(rows) - len(loose)  # ... but not those differing in case or punctuation
        assert near.details["verified"] is True
        pairs = [c["members"] for c in near.details["largest_clusters"] if c["size"] == 2]
        for members in pairs:  # a verified pair really shares >= 80% of its word 3-grams (full rows)
            ga, gb = (ngrams(words(" ".join(rows[index[m["line"]]][f] for f in ("input", "instruction", "response"))), 3)
                      for m in members)
            assert len(ga & gb) / len(ga | gb) >= 0.8
        counts.append(near.findings)
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]
