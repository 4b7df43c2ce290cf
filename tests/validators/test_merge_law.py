"""The merge law, for every validator: folding all batches equals merging the folds of any split."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import contract_text
from traingate.contracts import parse_contract
from traingate.contracts import registry as _registry
from traingate.contracts.registry import entries as registry_entries
from traingate.data.batch import BatchContext
from traingate.data.tokenizers import get_tokenizer
from traingate.engine.runner import check_ids
from traingate.validators import build, validators

TEXTS = ["fine text", "", "  lead", "<|im_start|> leak", "{{slot}}", "```open", "caf\ufffd", "a     b",
         "x " * 30, "ok", "r\r\nn", "mail jo@acme.com", "card 4111 1111 1111 1111",
         "key AKIAIOSFODNN7EXAMPLE"]
HYGIENE = "".join(f"    - type: {t}\n" for t in ("empty_text", "whitespace", "encoding", "special_tokens",
                                                    "code_fences", "placeholders"))
LENGTHS = "".join(f"    - type: {t}\n      limit: 5\n" for t in ("min_tokens", "max_tokens", "min_chars", "max_chars"))
QUANTITY = "  quantity:\n    - type: min_rows\n      min: 10\n    - type: min_tokens\n      min: 10\n"


def _rows(kind: str, n: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(7)
    pick = lambda: TEXTS[int(rng.integers(len(TEXTS)))]  # noqa: E731
    if kind == "sft":
        return [{"id": f"r{i % 40}", "prompt": pick(), "response": pick(), "n": int(rng.integers(5)),
                 "license": ["MIT", "", None, "GPL-3.0"][i % 4], "generator": ["gpt-4", "", "x"][i % 3]} for i in range(n)]
    if kind == "chat":
        roles = ["user", "assistant", "tool", "system", "bot?"]
        return [{"messages": [{"role": roles[int(rng.integers(5))], "content": pick()}
                              for _ in range(int(rng.integers(0, 5)))]} for _ in range(n)]
    if kind == "pretraining":
        return [{"text": pick() + " " + pick(), "item": f"i{i % 10}", "annotator": f"a{i % 7}",
                 "label": str(int(rng.integers(3)))} for i in range(n)]
    if kind == "preference":
        return [{"prompt": pick(), "chosen": pick(), "rejected": pick()} for _ in range(n)]
    return [{"prompt": pick(), "response": pick(), "score": [0.5, 7.0, None, float("nan"), -1.0][i % 5]}
            for i in range(n)]


CASES = {
    "sft": "  format:\n" + HYGIENE + LENGTHS + "    - type: schema\n      columns:\n"
           "        id: {unique: true, regex: 'r[0-9]'}\n        n: {dtype: int, max: 3}\n" + QUANTITY
           + "  uniqueness:\n    - type: exact_duplicates\n      normalize: [case, whitespace]\n"
           "    - type: near_duplicates\n      threshold: 0.5\n      size: 2\n"
           "  compliance:\n    - type: secrets\n    - type: blocklist\n      terms: [leak]\n    - type: licence\n"
           "      deny: [GPL-3.0]\n    - type: lineage\n      required: [license]\n      deny_generators: [gpt-4]\n"
           "      synthetic: {column: generator, values: [x], max_share: 0.5}\n"
           "  alignment:\n    - type: refusals\n      extra_phrases: [leak]\n    - type: truncated\n      min_words: 1\n"
           "    - type: length_ratio\n      min: 0.5\n      max: 2\n    - type: response_format\n      format: json\n"
           "  relevance:\n    - type: keywords\n      required: {prompt: [text]}\n      forbidden: {response: [ok]}\n"
           "    - type: language\n      allowed: [en]\n"
           "  coverage:\n    - type: distribution\n      feature: output_format\n      targets: {plain: {min: 0.5}}\n"
           "      mix: {plain: 1}\n      max_divergence: 0.1\n    - type: diversity\n      feature: n\n"
           "      min_distinct_1: 0.5\n      min_distinct_2: 0.5\n    - type: distribution\n      name: typos\n"
           "      feature: typo_rate\n      required: [clean]\n    - type: distribution\n      name: code\n"
           "      feature: programming_language\n      required: [none]\n",
    "chat": "  format:\n    - type: chat_structure\n      json_roles: [tool]\n" + HYGIENE + LENGTHS + QUANTITY
            + "  uniqueness:\n    - type: exact_duplicates\n    - type: near_duplicates\n      shingle: char\n"
            "  compliance:\n    - type: pii\n      recognizers: patterns\n    - type: pii\n      name: sampled_pii\n"
            "      recognizers: patterns\n      sample: {rows: 40, seed: 1}\n      max_rate: 0.5\n",
    "preference": "  format:\n    - type: preference_pair\n" + HYGIENE,
    "reward": "  format:\n    - type: score_range\n      min: 0\n      max: 5\n" + HYGIENE,
}
N = 120
EVAL_DIR = Path(tempfile.mkdtemp(prefix="traingate-eval-"))
(EVAL_DIR / "eval.jsonl").write_text("".join(json.dumps({"question": t}) + "\n" for t in TEXTS))
CASES["preference"] += ("  uniqueness:\n    - type: contamination\n      ngram: 2\n      min_overlap: 0.5\n"
                        f"      against: [{{path: {EVAL_DIR / 'eval.jsonl'}}}]\n")
CASES["reward"] += ("  uniqueness:\n    - type: split_leakage\n      threshold: 0.5\n"
                   "  consistency:\n    - type: conflicting_labels\n    - type: conflicting_labels\n      name: close\n"
                   "      tolerance: 2\n")
CASES["preference"] += ("  consistency:\n    - type: preference_consistency\n    - type: conflicting_labels\n")
(EVAL_DIR / "reference.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _rows("sft", 50)))
CASES["sft"] += ("  consistency:\n    - type: drift\n      reference: " + str(EVAL_DIR / "reference.jsonl") + "\n"
                 "      features: [chars.prompt, tokens.response, n, output_format, license, language]\n")
def _expectations(group: str, items: list[tuple[str, str]]) -> str:
    return f"  {group}:\n" + "".join(f"    - type: expectation\n      expectation: expect_{name}\n      kwargs: {kwargs}\n"
                                     for name, kwargs in items)


# Embedded GX expectations, over the reward rows (scores with None and NaN).
CASES["expectations"] = (
    _expectations("format", [
        ("column_values_to_match_regex", "{column: prompt, regex: '^[a-z]', mostly: 0.5}"),
        ("column_values_to_not_be_null", "{column: score}"),
        ("column_values_to_be_between", "{column: score, min_value: 0, max_value: 5, strict_min: true}"),
        ("column_value_lengths_to_be_between", "{column: response, min_value: 2}"),
        ("column_values_to_be_in_set", "{column: prompt, value_set: [ok, '']}"),
        ("column_values_to_be_json_parseable", "{column: response}"),
        ("column_to_exist", "{column: score}")])
    + _expectations("uniqueness", [("column_values_to_be_unique", "{column: prompt}"),
                                   ("column_unique_value_count_to_be_between", "{column: response, min_value: 3}")])
    + _expectations("quantity", [("table_row_count_to_be_between", "{min_value: 100}")])
    + _expectations("coverage", [
        ("column_mean_to_be_between", "{column: score, min_value: 0, max_value: 3}"),
        ("column_stdev_to_be_between", "{column: score, max_value: 3}"),
        ("column_median_to_be_between", "{column: score, min_value: 0}"),
        ("column_quantile_values_to_be_between",
         "{column: score, quantile_ranges: {quantiles: [0.25, 0.75], value_ranges: [[null, 1], [0, null]]}}"),
        ("column_distinct_values_to_be_in_set", "{column: prompt, value_set: [ok]}"),
        ("column_most_common_value_to_be_in_set", "{column: response, value_set: [ok]}")])
    + "    - type: expectation\n      expectation: expect_column_median_to_be_between\n      name: sampled_median\n"
    "      kwargs: {column: score, max_value: 5}\n      sample: {rows: 20, seed: 2}\n")
KIND_OF = {"expectations": "reward"}
CASES["pretraining"] = ("  uniqueness:\n    - type: semantic_duplicates\n      threshold: 0.9\n      block_rows: 64\n"
                        "    - type: semantic_duplicates\n      name: sampled\n      sample: {rows: 50, seed: 3}\n"
                        "  consistency:\n    - type: agreement\n      min_alpha: 0.5\n"
                        "  relevance:\n    - type: similarity\n      task: fine text\n      min_similarity: 0.5\n"
                        "    - type: scorer\n      function: 'tests.validators.scorers:text_length'\n"
                        "      min_score: 10\n    - type: pretraining_quality\n      gopher_quality: {min_doc_words: 3}\n")


def documented_cases(entries: dict[tuple[str, str], Any], covered: set[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """A case for each registered check the cases above leave out, from the worked example of its docs page
    (docs/checks/<group>.md, or the example the generator would write): a new check module brings its own
    case, no edit here. Name -> (kind, checks block)."""
    import yaml

    from traingate.docs import default_root
    from traingate.docs.markers import auto_example, regions

    pages = {group: (default_root() / "docs" / "checks" / f"{group}.md") for group, _ in entries}
    assert not (default_root() / "docs").is_dir() or all(p.is_file() for p in pages.values()), pages
    out = {}
    for (group, name), entry in sorted(entries.items()):
        if (group, name) in covered:
            continue
        page = pages[group].read_text() if pages[group].is_file() else ""
        example = regions(page).get(("example", name)) or auto_example(group, entry)
        contract = yaml.safe_load(re.findall(r"```yaml\n(.*?)```", example, re.S)[0])
        checks = {group: [c for c in contract["checks"][group] if c.get("type") == name]}
        block = yaml.safe_dump(checks, sort_keys=False)
        out[f"documented {group}.{name}"] = (contract["dataset"]["kind"], "".join("  " + line for line in block.splitlines(True)))
    return out


def _covered() -> set[tuple[str, str]]:
    return {(c.group, c.type) for kind in CASES
            for c in parse_contract(contract_text(KIND_OF.get(kind, kind), CASES[kind]), "c.yaml").all_checks()}


for _name, (_kind, _checks) in documented_cases(registry_entries(), _covered()).items():
    CASES[_name], KIND_OF[_name] = _checks, _kind


def _contexts(kind: str, cuts: list[int]) -> tuple[Any, list[BatchContext]]:
    contract = parse_contract(contract_text(KIND_OF.get(kind, kind), CASES[kind]), "c.yaml")
    table = pa.Table.from_pylist(_rows(KIND_OF.get(kind, kind), N))
    bounds = sorted({0, N // 2, *cuts, N})  # rows before N/2 are the train split, the rest test
    batches = []
    for start, end in zip(bounds, bounds[1:]):
        if end > start:
            batches.append(BatchContext(table.slice(start, end - start), contract.dataset, get_tokenizer("whitespace"),
                                        file="f.jsonl", file_index=0, lines=np.arange(start + 1, end + 1),
                                        unit="line", split="train" if start < N // 2 else "test", row_offset=start))
    return contract, batches


def test_a_new_check_is_covered_by_the_example_of_its_docs_page() -> None:
    from typing import ClassVar, Literal

    from traingate.contracts.model import TextCheck
    from traingate.validators import Validator, check

    class FreshOptions(TextCheck):
        summary: ClassVar[str] = "a check added in one module"
        type: Literal["fresh_check"]
        limit: int

    check("fresh_check", group="format", options=FreshOptions)(type("Fresh", (Validator,), {}))
    try:
        cases = documented_cases(registry_entries(), _covered())
    finally:
        _registry._TYPES.pop(("format", "fresh_check"))
    assert cases == {"documented format.fresh_check": ("sft", "  format:\n  - type: fresh_check\n    limit: 1\n")}


def test_every_registered_validator_is_covered() -> None:
    covered = set()
    for kind in CASES:
        contract, _ = _contexts(kind, [])
        covered |= {(c.group, c.type) for c in contract.all_checks()}
    assert set(validators()) <= covered


@settings(max_examples=25, deadline=None)
@given(kind=st.sampled_from(sorted(CASES)), cuts=st.lists(st.integers(1, N - 1), max_size=6),
       split_at=st.integers(0, 7))
def test_fold_equals_merge_of_folds(kind: str, cuts: list[int], split_at: int) -> None:
    contract, batches = _contexts(kind, cuts)
    k = min(split_at, len(batches))
    for config, check_id in zip(contract.all_checks(), check_ids(contract)):
        v = build(config, contract.dataset, check_id)
        whole = v.create_state()
        for b in batches:
            whole = v.add_batch(whole, b)
        left, right = v.create_state(), v.create_state()
        for b in batches[:k]:
            left = v.add_batch(left, b)
        for b in batches[k:]:
            right = v.add_batch(right, b)
        assert v.finalize(v.merge_states(right, left)).model_dump() == v.finalize(whole).model_dump(), check_id


def test_every_check_type_of_the_language_has_a_validator() -> None:
    from traingate.contracts.registry import check_types
    assert set(check_types()) == set(validators())
