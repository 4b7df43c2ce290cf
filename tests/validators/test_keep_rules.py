"""`keep:` of the duplicate checks: which row of each cluster is kept (first, longest, highest of a column),
found again here with plain Python, and the same for any split of the data and any order of merging."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from tests.conftest import contract_text
from traingate.contracts import parse_contract
from traingate.data.batch import BatchContext
from traingate.data.tokenizers import get_tokenizer
from traingate.validators import build

Record = dict[str, Any]
WORDS = ["".join(random.Random(k).choices("abcdefghij", k=6)) for k in range(400)]


def rows(text: bool = False, upper: bool = True) -> list[Record]:
    """Clusters of rows equal after whitespace and case normalisation, each copy with other spacing (so another
    length) and another score: null, not a number, or a number; with `text`, every score as text (as CSV
    holds numbers); without `upper` the copies differ in spacing only."""
    rng = random.Random(5)
    scores = [None, 0.5, 2.0, 3.5, float("nan"), 1.0, 7.0, 7.0, 9.0]
    out = [{"prompt": " ".join(rng.choices(WORDS, k=5)), "response": " ".join(rng.choices(WORDS, k=12)),
            "score": rng.choice(scores)} for _ in range(90)]
    for i in range(0, 90, 9):  # a cluster of 2 to 4 copies of row i
        for k in range(1, 2 + i % 3):
            spaced = out[i]["response"].replace(" ", " " * (1 + (i + k) % 3), k)
            out[i + k] = {"prompt": out[i]["prompt"].upper() if k % 2 and upper else out[i]["prompt"], "response": spaced,
                          "score": scores[(i + 3 * k) % len(scores)]}
    if text:
        for row in out:
            row["score"] = None if row["score"] is None else "n/a" if row["score"] != row["score"] else str(row["score"])
    return out


def expected_kept(data: list[Record], rule: Any) -> dict[int, int]:
    """Row number (1-based) -> the row its cluster keeps, by the rule, found without traingate."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for n, row in enumerate(data, 1):
        groups[(row["prompt"].lower(), " ".join(row["response"].split()))].append(n)

    def value(n: int) -> float:
        row = data[n - 1]
        if rule == "longest":
            return float(len(row["prompt"]) + len(row["response"]))
        try:
            number = float(row["score"])
        except (TypeError, ValueError):
            return float("-inf")
        return number if number == number else float("-inf")

    out = {}
    for members in groups.values():
        if len(members) > 1:
            kept = members[0] if rule == "first" else max(members, key=lambda n: (value(n), -n))
            out |= {n: kept for n in members}
    return out


def fold(check: str, data: list[Record], cuts: list[int], reverse: bool = False) -> dict[int, int]:
    """Fold the rows in pieces cut at `cuts`, merge the pieces' states (in reverse with `reverse`), and read
    the kept row of each row's cluster from the findings."""
    contract = parse_contract(contract_text("sft", check), "c.yaml")
    config = contract.all_checks()[0]
    validator = build(config, contract.dataset, "uniqueness.x")
    validator.keeps_findings = True
    table = pa.Table.from_pylist(data)
    bounds = sorted({0, *cuts, len(data)})
    states = []
    for start, end in zip(bounds, bounds[1:]):
        batch = BatchContext(table.slice(start, end - start), contract.dataset, get_tokenizer("whitespace"),
                             file="f.jsonl", file_index=0, lines=np.arange(start + 1, end + 1), unit="line",
                             split="all", row_offset=start)
        states.append(validator.add_batch(validator.create_state(), batch))
    merged = states[-1] if reverse else states[0]
    for state in (reversed(states[:-1]) if reverse else states[1:]):
        merged = validator.merge_states(state, merged) if reverse else validator.merge_states(merged, state)
    validator.finalize(merged)
    records = list(validator.findings(merged))
    kept = {(r["cluster"]): r["line"] for r in records if r["kept"]}
    assert len(kept) == len({r["cluster"] for r in records})  # one kept row per cluster
    assert all(r["first"] == (r["line"] == min(x["line"] for x in records if x["cluster"] == r["cluster"]))
               for r in records)
    return {r["line"]: kept[r["cluster"]] for r in records}


EXACT = "  uniqueness:\n    - type: exact_duplicates\n      normalize: [case, whitespace]\n      keep: {rule}\n"


@pytest.mark.parametrize(("rule", "text"), [("first", False), ("longest", False), ("{highest: score}", False),
                                           ("{highest: score}", True)])
def test_exact_duplicates_keep_the_row_the_rule_names(rule: str, text: bool) -> None:
    data = rows(text)
    want = expected_kept(data, "highest" if "highest" in rule else rule)
    assert len(set(want.values())) == 10 and fold(EXACT.format(rule=rule), data, []) == want
    if rule != "first":  # the rule chose another row than the first somewhere
        assert want != expected_kept(data, "first")


@pytest.mark.parametrize("rule", ["longest", "{highest: score}"])
def test_any_split_and_merge_order_keeps_the_same_rows(rule: str) -> None:
    data = rows()
    one = fold(EXACT.format(rule=rule), data, [])
    for seed in range(6):
        cuts = random.Random(seed).sample(range(1, len(data)), 1 + seed)
        assert fold(EXACT.format(rule=rule), data, cuts) == one
        assert fold(EXACT.format(rule=rule), data, cuts, reverse=True) == one


def test_near_duplicates_keep_the_longest() -> None:
    data = rows()
    check = ("  uniqueness:\n    - type: near_duplicates\n      threshold: 0.7\n      normalize: [case, whitespace]\n"
             "      keep: longest\n")
    found = fold(check, data, [30, 61])
    want = expected_kept(data, "longest")
    assert found == want  # the copies differ only in spacing and case: the clusters are the exact ones
    assert fold(check, data, [17], reverse=True) == found


def test_a_highest_column_in_no_row_errs_the_check(tmp_path: Any) -> None:
    from tests.conftest import write_jsonl
    from traingate.engine.runner import validate

    write_jsonl(tmp_path / "d.jsonl", [{"prompt": "a", "response": "b"}] * 3)
    contract = parse_contract(contract_text("sft", EXACT.format(rule="{highest: quality}")), str(tmp_path / "c.yaml"))
    result = validate(contract, [str(tmp_path / "d.jsonl")])
    assert result.checks[0].status == "errored" and "quality" in (result.checks[0].message or "")


def test_an_unknown_rule_is_a_contract_error() -> None:
    from traingate.errors import ContractError

    with pytest.raises(ContractError):
        parse_contract(contract_text("sft", EXACT.format(rule="shortest")), "c.yaml")
    with pytest.raises(ContractError):
        parse_contract(contract_text("sft", EXACT.format(rule="{lowest: score}")), "c.yaml")


def test_semantic_duplicates_keep_the_highest() -> None:
    pytest.importorskip("wordllama")
    data = rows(upper=False)  # spacing is normalised before embedding: the copies embed alike
    check = "  uniqueness:\n    - type: semantic_duplicates\n      threshold: 0.999\n      keep: {highest: score}\n"
    found = fold(check, data, [44])
    want = expected_kept(data, "highest")
    assert found == want
    assert fold(check, data, [10, 70], reverse=True) == found
