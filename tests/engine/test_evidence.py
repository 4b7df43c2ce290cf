"""`validate --evidence`: every row each row-level check finds at fault, one record per (check, row, reason),
checks in the contract's order and rows in data order. Each fixture plants known bad rows; the test finds
them again on its own (plain Python over the rows written) and compares, on one process, on two workers and
under a memory limit that makes the checks write their findings to disk."""

from __future__ import annotations

import itertools
import json
import random
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import contract_text, write_jsonl
from traingate.contracts import parse_contract
from traingate.engine import fold
from traingate.engine.runner import RunOptions, validate
from traingate.results import RunResult

Record = dict[str, Any]
WORDS = ["".join(random.Random(k).choices("abcdefghijklmnopqrstuvwxyz", k=7)) for k in range(5000)]
EVAL = [" ".join(random.Random(9000 + k).choices(WORDS, k=15)) for k in range(4)]
LIMIT = 400  # characters of a response

DUP_OF = {50: 10, 51: 10, 90: 30, 200: 7}  # exact copies of an earlier row
NEAR_OF = {120: 60, 121: 61}  # the same prompt, the response's last word changed
LONG, EMAIL, NULL_ID, BAD_SCORE, CONTAMINATED = {5, 77, 150}, {3, 140}, {33}, {44, 160}, {100: 1, 210: 3}
REPEAT_ID = {180: 20, 181: 20}
LEAK_OF = {2: 12, 9: 99}  # test row -> the train row it copies

CHECKS = """  format:
    - type: max_chars
      limit: 400
      fields: [response]
    - type: schema
      columns:
        id: {dtype: int, nullable: false, unique: true}
    - type: expectation
      expectation: expect_column_values_to_be_between
      kwargs: {column: score, min_value: 0, max_value: 1}
  uniqueness:
    - type: exact_duplicates
    - type: near_duplicates
    - type: split_leakage
      threshold: null
    - type: contamination
      against: [{path: eval.jsonl, name: quiz}]
  compliance:
    - type: pii
      recognizers: patterns
  consistency:
    - type: conflicting_labels
"""


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(WORDS, k=n))


def train_rows() -> list[Record]:
    rng = random.Random(1)
    rows = [{"id": i, "score": 0.5, "prompt": f"ask {_words(rng, 6)}", "response": _words(rng, 20)} for i in range(240)]
    for i, source in {**DUP_OF, **NEAR_OF}.items():
        rows[i]["prompt"], rows[i]["response"] = rows[source]["prompt"], rows[source]["response"]
    for i in NEAR_OF:
        rows[i]["response"] = rows[i]["response"].rsplit(" ", 1)[0] + " changed"
    for i in LONG:
        rows[i]["response"] = _words(rng, 80)
    for i in EMAIL:
        rows[i]["response"] += " write to ann@acme.com"
    for i in NULL_ID:
        rows[i]["id"] = None
    for i, source in REPEAT_ID.items():
        rows[i]["id"] = source
    for i in BAD_SCORE:
        rows[i]["score"] = 5.0
    for i, item in CONTAMINATED.items():
        rows[i]["response"] = f"{EVAL[item]} {rows[i]['response']}"
    return rows


def split_rows(train: list[Record]) -> list[Record]:
    rng = random.Random(2)
    rows = [{"id": 1000 + i, "score": 0.5, "prompt": f"ask {_words(rng, 6)}", "response": _words(rng, 20)}
            for i in range(30)]
    for i, source in LEAK_OF.items():
        rows[i]["prompt"], rows[i]["response"] = train[source]["prompt"], train[source]["response"]
    return rows




def workspace(tmp_path: Path) -> tuple[Any, list[str], list[tuple[str, list[Record]]]]:
    train = train_rows()
    test = split_rows(train)
    write_jsonl(tmp_path / "train.jsonl", train)
    write_jsonl(tmp_path / "test.jsonl", test)
    write_jsonl(tmp_path / "eval.jsonl", [{"question": q} for q in EVAL])
    contract = parse_contract(contract_text("sft", CHECKS), str(tmp_path / "c.yaml"))
    data = [f"train={tmp_path / 'train.jsonl'}", f"test={tmp_path / 'test.jsonl'}"]
    return contract, data, [(str(tmp_path / "train.jsonl"), train), (str(tmp_path / "test.jsonl"), test)]


def evidence(contract: Any, data: list[str], options: RunOptions | None = None) -> tuple[RunResult, list[Record]]:
    records: list[Record] = []
    result = validate(contract, data, options=options or RunOptions(workers=1), evidence=records.extend)
    return result, records


# What each check should list, found without traingate: (check, file, line, reason) -> the numbers it carries.

Located = list[tuple[str, int, Record]]  # (file, line, row) over every file, in data order


def rows_of(files: list[tuple[str, list[Record]]]) -> Located:
    return [(path, line, row) for path, rows in files for line, row in enumerate(rows, 1)]


def _flagged(located: Located, check: str, reason: str, bad: Callable[[Record], bool],
             field: str | None = None) -> dict[tuple[Any, ...], Record]:
    return {(check, path, line, reason): ({"field": field} if field else {}) for path, line, row in located if bad(row)}


def _clusters(located: Located, linked: Callable[[Record, Record], bool]) -> list[list[int]]:
    """Groups of rows (positions in `located`) linked directly or through others, largest first, then by
    first row; each in data order."""
    parent = list(range(len(located)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(located)):
        for j in range(i + 1, len(located)):
            if linked(located[i][2], located[j][2]):
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(located)):
        groups[root(i)].append(i)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g[0]))


def _clustered(located: Located, check: str, groups: list[list[int]], label: str = "cluster",
               first: bool = True, reason: str = "duplicate") -> dict[tuple[Any, ...], Record]:
    return {(check, located[i][0], located[i][1], reason): {label: k, **({"first": i == group[0]} if first else {})}
            for k, group in enumerate(groups) for i in group}


def _shingles(row: Record) -> set[tuple[str, ...]]:
    words = f"{row['prompt']} {row['response']}".split()
    return {tuple(words[k: k + 3]) for k in range(len(words) - 2)}


def expected(files: list[tuple[str, list[Record]]]) -> dict[tuple[Any, ...], Record]:
    located = rows_of(files)
    train = [entry for entry in located if entry[0].endswith("train.jsonl")]
    same = lambda a, b: (a["prompt"], a["response"]) == (b["prompt"], b["response"])  # noqa: E731
    want = _flagged(located, "format.max_chars", f"over_{LIMIT}_chars", lambda r: len(r["response"]) > LIMIT, "response")
    for path, line, row in located:  # what the check measured: the response's characters
        if (key := ("format.max_chars", path, line, f"over_{LIMIT}_chars")) in want:
            want[key] |= {"value": len(row["response"]), "measure": "chars"}
    want |= _flagged(located, "format.schema", "null:id", lambda r: r["id"] is None)
    seen: set[Any] = set()
    for path, line, row in located:
        if row["id"] is not None and row["id"] in seen:
            want[("format.schema", path, line, "unique:id")] = {}
        seen.add(row["id"])
    want |= _flagged(located, "format.expectation", "unexpected", lambda r: not 0 <= r["score"] <= 1, "score")
    want |= _clustered(located, "uniqueness.exact_duplicates", _clusters(located, same))
    shingles = [_shingles(row) for _, _, row in located]
    index = {id(row): k for k, (_, _, row) in enumerate(located)}
    near = lambda a, b: len(shingles[index[id(a)]] & shingles[index[id(b)]]) / len(  # noqa: E731
        shingles[index[id(a)]] | shingles[index[id(b)]]) >= 0.8
    want |= _clustered(located, "uniqueness.near_duplicates", _clusters(located, near))
    for path, line, row in located:
        source = next(((p, n) for p, n, r in train if same(r, row)), None) if path.endswith("test.jsonl") else None
        if source:
            want[("uniqueness.split_leakage", path, line, "in_train")] = {"train_file": source[0], "train_line": source[1]}
        items = [k for k, q in enumerate(EVAL) if q in row["response"]]
        if items:
            want[("uniqueness.contamination", path, line, "eval_item:quiz")] = {
                "item": items[0], "item_line": items[0] + 1, "share": 1.0}
        for match in re.finditer(r"\S+@\S+", row["response"]):
            want[("compliance.pii", path, line, "EMAIL_ADDRESS", match.start())] = {"field": "response"}
    by_prompt: dict[str, set[str]] = defaultdict(set)
    for _, _, row in located:
        by_prompt[row["prompt"]].add(row["response"])
    conflicting = lambda a, b: a["prompt"] == b["prompt"] and len(by_prompt[a["prompt"]]) > 1  # noqa: E731
    want |= _clustered(located, "consistency.conflicting_labels", _clusters(located, conflicting), "group", False,
                       "conflicting_label")
    return want


def listed(records: list[Record]) -> dict[tuple[Any, ...], Record]:
    """The records by (check, file, line, reason[, pii offset]), with the numbers a test compares."""
    out = {}
    for r in records:
        key = (r["check"], r["file"], r["line"], r["reason"], *([r["start"]] if r["check"] == "compliance.pii" else []))
        assert key not in out, f"listed twice: {key}"
        out[key] = {k: v for k, v in r.items() if k in ("field", "value", "measure", "cluster", "first", "group",
                                                         "train_file", "train_line", "item", "item_line", "share")}
    return out


def test_every_family_lists_exactly_its_planted_rows(tmp_path: Path) -> None:
    contract, data, files = workspace(tmp_path)
    result, records = evidence(contract, data)
    want = expected(files)
    got = listed(records)
    assert set(got) == set(want), (sorted(set(got) - set(want))[:5], sorted(set(want) - set(got))[:5])
    assert got == want
    by_check = {c.id: c for c in result.checks}
    counted = {check: sum(1 for k in got if k[0] == check) for check in by_check}
    assert all(counted[c] > 0 for c in by_check), counted  # every family found something
    for check in ("format.max_chars", "format.schema", "format.expectation", "uniqueness.split_leakage",
                  "uniqueness.contamination", "consistency.conflicting_labels"):
        assert counted[check] == by_check[check].findings, check  # one record per finding the check counted
    for check in ("uniqueness.exact_duplicates", "uniqueness.near_duplicates"):  # the first row of each cluster too
        assert counted[check] == by_check[check].findings + by_check[check].details["clusters"]


def test_records_come_by_check_in_contract_order_then_by_row(tmp_path: Path) -> None:
    contract, data, _ = workspace(tmp_path)
    result, records = evidence(contract, data)
    order = [c.id for c in result.checks]
    files = [f.path for f in result.dataset.files]
    keys = [(order.index(r["check"]), files.index(r["file"]), r["line"]) for r in records]
    assert keys == sorted(keys)
    assert all(set(r) >= {"check", "file", "line", "unit", "reason"} and r["unit"] == "line" for r in records)


def test_no_record_holds_text_of_the_data(tmp_path: Path) -> None:
    contract, data, files = workspace(tmp_path)
    _, records = evidence(contract, data)
    words = {w for _, rows in files for row in rows for w in f"{row['prompt']} {row['response']}".split()}
    words |= {"ann@acme.com", "acme"}
    values = [v for r in records for k, v in r.items() if isinstance(v, str) and k not in ("file", "train_file")]
    assert values and not [v for v in values if any(w in v for w in words)]


@pytest.mark.slow  # over 2 s: out of the quick loop
def test_a_spill_under_the_memory_limit_lists_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.data import jsonl_reader

    monkeypatch.setattr(jsonl_reader, "BLOCK_BYTES", 16384)  # several chunks, so findings are written between them
    contract, data, _ = workspace(tmp_path)
    _, baseline = evidence(contract, data)
    growing = itertools.count(500.0, 10.0)  # over the limit and growing: the checks let go after every chunk
    monkeypatch.setattr(fold, "rss_mib", lambda: next(growing))
    spilled, records = evidence(contract, data, RunOptions(workers=1, max_memory_mib=100))
    actions = spilled.dataset.memory_actions
    assert any("findings to disk" in a for a in actions), actions
    assert {a.split(":")[0] for a in actions if "findings to disk" in a} >= {"format.max_chars", "format.schema",
                                                                            "format.expectation"}
    assert records == baseline


@pytest.mark.slow  # starts worker processes
def test_two_workers_list_the_same_as_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.engine import shards

    monkeypatch.setattr(shards, "MIN_SHARD_BYTES", 1)
    contract, data, files = workspace(tmp_path)
    _, one = evidence(contract, data)
    two_result, two = evidence(contract, data, RunOptions(workers=2))
    assert two_result.dataset.shards >= 4 and two == one and listed(two) == expected(files)
    spilled, tiny = evidence(contract, data, RunOptions(workers=2, max_memory_mib=1))  # every worker always over
    assert any("findings to disk" in a for a in spilled.dataset.memory_actions) and tiny == one


@pytest.mark.slow  # starts Ray
def test_ray_tasks_take_their_findings_back_before_they_leave_a_node(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ray")
    from traingate.engine import shards

    monkeypatch.setattr(shards, "MIN_SHARD_BYTES", 1)
    contract, data, _ = workspace(tmp_path)
    _, one = evidence(contract, data)
    spilled, on_ray = evidence(contract, data, RunOptions(workers=2, engine="ray", max_memory_mib=1))
    assert any("findings to disk" in a for a in spilled.dataset.memory_actions) and on_ray == one


CHAT = """  format:
    - type: chat_structure
"""


def conversations() -> list[Record]:
    rng = random.Random(3)
    talk = lambda *roles: [{"role": r, "content": _words(rng, 4)} for r in roles]  # noqa: E731
    rows = [{"messages": talk("user", "assistant")} for _ in range(60)]
    rows[4]["messages"] = talk("assistant", "user", "assistant")
    rows[20]["messages"] = talk("system", "assistant")
    rows[7]["messages"][1]["content"] = "   "
    rows[11]["messages"] = talk("user", "robot", "assistant")
    rows[30]["messages"] = talk("user", "user", "assistant")
    rows[41]["messages"] = talk("user", "assistant", "user")
    return rows


def chat_faults(messages: list[Record]) -> set[str]:
    known = {"user", "assistant", "system"}
    talk = [m["role"] for m in messages if m["role"] != "system"]
    faults = {"unknown_role"} if any(m["role"] not in known for m in messages) else set()
    faults |= {"empty_turn"} if any(not m["content"].strip() for m in messages) else set()
    faults |= {"first_role_not_user"} if talk and talk[0] != "user" else set()
    faults |= {"last_role_not_assistant"} if talk and talk[-1] != "assistant" else set()
    pairs = [r for r in talk if r in ("user", "assistant")]
    return faults | ({"not_alternating"} if any(a == b for a, b in zip(pairs, pairs[1:])) else set())


def test_chat_structure_lists_each_fault_of_each_conversation(tmp_path: Path) -> None:
    rows = conversations()
    write_jsonl(tmp_path / "chat.jsonl", rows)
    contract = parse_contract(contract_text("chat", CHAT), str(tmp_path / "c.yaml"))
    _, records = evidence(contract, [str(tmp_path / "chat.jsonl")])
    want = {(line, fault) for line, row in enumerate(rows, 1) for fault in chat_faults(row["messages"])}
    assert len(want) >= 6 and {(r["line"], r["reason"]) for r in records} == want and len(records) == len(want)


def test_semantic_duplicates_list_every_row_of_every_cluster(tmp_path: Path) -> None:
    pytest.importorskip("wordllama")
    import numpy as np

    from traingate.data.embeddings import embed

    rows = train_rows()[:120]
    write_jsonl(tmp_path / "d.jsonl", rows)
    checks = "  uniqueness:\n    - type: semantic_duplicates\n      model: wordllama\n      threshold: 0.95\n"
    contract = parse_contract(contract_text("sft", checks), str(tmp_path / "c.yaml"))
    result, records = evidence(contract, [str(tmp_path / "d.jsonl")])
    vectors = embed([f"{r['prompt']}\n{r['response']}" for r in rows], "wordllama").astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    located = rows_of([(str(tmp_path / "d.jsonl"), rows)])
    similar = {(i, j) for i in range(len(rows)) for j in range(len(rows)) if vectors[i] @ vectors[j] >= 0.95}
    index = {id(row): k for k, row in enumerate(rows)}
    groups = _clusters(located, lambda a, b: (index[id(a)], index[id(b)]) in similar)
    assert groups and {(r["line"], r["cluster"], r["first"]) for r in records} == {
        (located[i][1], k, i == g[0]) for k, g in enumerate(groups) for i in g}
    assert len(records) == result.checks[0].findings + result.checks[0].details["clusters"]


def test_the_api_writes_the_file_and_a_failed_write_errs_the_gate(tmp_path: Path) -> None:
    import traingate

    (tmp_path / "c.yaml").write_text(contract_text("sft", CHECKS))
    _, data, files = workspace(tmp_path)
    result = traingate.validate(tmp_path / "c.yaml", data, evidence=tmp_path / "e.jsonl")
    lines = [json.loads(line) for line in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert result.gate.verdict == "failed" and listed(lines) == expected(files)
    (tmp_path / "dir").mkdir()
    failed = traingate.validate(tmp_path / "c.yaml", data, evidence=tmp_path / "dir")
    assert failed.gate.verdict == "errored" and failed.gate.exit_code == 3
    assert "the evidence (--evidence) could not be written" in failed.gate.reasons[-1]
    assert [c.status for c in failed.checks] == [c.status for c in result.checks]


def test_file_names_are_masked_as_the_run_masks_them(tmp_path: Path) -> None:
    folder = tmp_path / "maria.lopez@fastmail.org"
    folder.mkdir()
    rows = [{"prompt": "hi", "response": "mail ann@acme.com"}, {"prompt": "hi", "response": "mail ann@acme.com"}]
    write_jsonl(folder / "d.jsonl", rows)
    checks = "  uniqueness:\n    - type: exact_duplicates\n  compliance:\n    - type: pii\n      recognizers: patterns\n"
    contract = parse_contract(contract_text("sft", checks), str(tmp_path / "c.yaml"))
    result, records = evidence(contract, [str(folder / "d.jsonl")])
    assert len(records) == 4 and "maria" not in json.dumps(records)
    assert {r["file"] for r in records} == {result.dataset.files[0].path}
