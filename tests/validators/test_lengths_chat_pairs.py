from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import contract_text
from traingate.reports.html import render_html
from traingate.results import RunResult

CHAT = ("  fields: {messages: conversations, role: from, content: value}\n"
        "  roles: {user: [human], assistant: [gpt], system: [system], tool: [function_call, observation]}\n")


def turns(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"from": r, "value": v} for r, v in pairs]


def test_lengths_per_row_and_per_field(run: Callable[..., RunResult]) -> None:
    rows = [{"prompt": "one two three", "response": "four five"},  # 5 tokens, 23 chars
            {"prompt": "one", "response": "two"}]                  # 2 tokens
    checks = ("  format:\n    - type: max_tokens\n      limit: 4\n"
              "    - type: max_tokens\n      name: per_field\n      limit: 2\n      per: field\n"
              "    - type: min_chars\n      limit: 7\n")
    by_id = {c.id: c.findings for c in run(contract_text("sft", checks), rows).checks}
    assert by_id == {"format.max_tokens": 1, "per_field": 1, "format.min_chars": 1}


def test_chat_structure_reasons(run: Callable[..., RunResult]) -> None:
    rows = [
        {"conversations": turns(("human", "hi"), ("gpt", "hello"))},                                   # fine
        {"conversations": turns(("system", "s"), ("human", "q"), ("function_call", '{"a": 1}'),
                                ("observation", "not json is fine here"), ("gpt", "a"))},            # fine
        {"conversations": turns(("gpt", "hello"), ("human", "hi"))},                       # first and last role
        {"conversations": turns(("human", "q"), ("human", "q2"), ("gpt", "a"))},          # not alternating
        {"conversations": turns(("human", "q"), ("robot", "a"))},                      # unknown, last role
        {"conversations": turns(("human", "q"), ("function_call", "{broken"), ("gpt", " "))},  # json, empty
        {"conversations": []},                                                             # not a conversation
    ]
    result = run(contract_text("chat", "  format:\n    - type: chat_structure\n", CHAT), rows)
    (c,) = result.checks
    assert c.findings == 5
    assert c.details["by_reason"] == {"empty_turn": 1, "first_role_not_user": 1, "last_role_not_assistant": 2,
                                      "not_a_conversation": 1, "not_alternating": 1, "tool_call_not_json": 1,
                                      "unknown_role": 1}


def test_chat_structure_names_unknown_roles_and_samples_every_reason(run: Callable[..., RunResult]) -> None:
    rows = [{"conversations": turns(("gpt", f"hello {k}"), ("human", "hi"), ("gpt", "ok"))} for k in range(40)]
    rows += [{"conversations": turns(("human", "q"), ("bing", "a"), ("gpt", "b"))},
             {"conversations": turns(("human", "q"), ("chatgpt", "a"), ("chatgpt", "b"), ("gpt", "c"))},
             {"conversations": turns(("human", "q"), ("chatgpt", "a"), ("gpt", "c"))},
             {"conversations": turns(("human", "q"), ("<b>bard</b>", "a"), ("gpt", "c"))},
             {"conversations": turns(("human", "q"), ("gpt", " "))}]
    result = run(contract_text("chat", "  format:\n    - type: chat_structure\n", CHAT), rows)
    (c,) = result.checks
    assert c.details["unknown_roles"] == {"chatgpt": 2, "<b>bard</b>": 1, "bing": 1}
    assert {s.reason for s in c.samples} == set(c.details["by_reason"]) and len(c.samples) == 20
    html = render_html(result)
    assert "&lt;b&gt;bard&lt;/b&gt;" in html and "<b>bard</b>" not in html


def test_preference_pairs_on_transcripts(run: Callable[..., RunResult]) -> None:
    h, a = "\n\nHuman: ", "\n\nAssistant: "
    rows = [{"chosen": f"{h}hi{a}hello", "rejected": f"{h}hi{a}go away"},
            {"chosen": f"{h}hi{a}same", "rejected": f"{h}hi{a}same"},
            {"chosen": f"{h}hi{a}x", "rejected": f"{h}other{a}y"},
            {"chosen": "no marker", "rejected": f"{h}hi{a}y"}]
    checks = "  format:\n    - type: preference_pair\n      shared_prefix_until: \"\\n\\nAssistant:\"\n"
    (c,) = run(contract_text("preference", checks), rows).checks
    assert c.details["by_reason"] == {"different_prompt": 1, "identical": 1, "no_prompt_marker": 1}


def test_preference_message_lists(run: Callable[..., RunResult]) -> None:
    q = [{"role": "user", "content": "q"}]
    rows = [{"chosen": q + [{"role": "assistant", "content": "good"}], "rejected": q + [{"role": "assistant", "content": "bad"}]},
            {"chosen": q + [{"role": "assistant", "content": "x"}], "rejected": q + [{"role": "assistant", "content": "x"}]},
            {"chosen": q + [{"role": "assistant", "content": "x"}],
             "rejected": [{"role": "user", "content": "other"}, {"role": "assistant", "content": "y"}]}]
    (c,) = run(contract_text("preference", "  format:\n    - type: preference_pair\n"), rows).checks
    assert c.details["by_reason"] == {"different_prompt": 1, "identical": 1}


def test_score_range_from_csv_text(run: Callable[..., RunResult], tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("prompt,response,score\np,r,4.5\np,r,high\np,r,\np,r,nan\np,r,7\np,r,-1\np,r,0\n")
    checks = "  format:\n    - type: score_range\n      min: 0\n      max: 5\n"
    (c,) = run(contract_text("reward", checks), path).checks
    assert c.rows == 7 and c.findings == 5
    assert c.details["by_reason"] == {"above_max": 1, "below_min": 1, "missing": 1, "not_finite": 1,
                                      "not_numeric": 1}


def test_quantity_per_split(tmp_path: Path) -> None:
    from tests.conftest import write_jsonl
    from traingate.contracts import parse_contract
    from traingate.engine.runner import validate
    write_jsonl(tmp_path / "train.jsonl", [{"text": "a b c"}] * 5)
    write_jsonl(tmp_path / "test.jsonl", [{"text": "a b"}] * 2)
    checks = ("  quantity:\n    - type: min_rows\n      min: 3\n    - type: min_tokens\n      min: 1\n"
              "      per_split: {train: 15}\n")
    contract = parse_contract(contract_text("pretraining", checks), str(tmp_path / "c.yaml"))
    result = validate(contract, [f"train={tmp_path}/train.jsonl", f"test={tmp_path}/test.jsonl"])
    rows, tokens = result.checks
    assert rows.status == "failed" and rows.details["by_split"] == {"test": 2, "train": 5}
    assert "split test: 2 rows, at least 3 required" in rows.message
    assert tokens.status == "passed" and tokens.details["by_split"] == {"test": 4, "train": 15}
