"""Real chat and code conversations from ../shared/datasets as rows of {"id", "source", "messages": [{role,
content}]}: Anthropic HH (harmless test transcripts), LIMA, Open Assistant trees (one conversation per
path to a leaf), glaive tool calls, Code Alpaca and the Alpaca demo. Generated rows stand in where
../shared is absent."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

Row = dict[str, Any]
ROLES = {"human": "user", "gpt": "assistant", "function_call": "tool", "observation": "tool"}


def _turns(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"role": role, "content": text} for role, text in pairs if text.strip()]


def _hh(shared: Path) -> Iterator[list[dict[str, str]]]:
    with gzip.open(shared / "hh_rlhf_harmless_base_test" / "test.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            parts = re.split(r"\n\n(Human|Assistant): ", json.loads(line)["chosen"])[1:]
            yield _turns([("user" if who == "Human" else "assistant", text) for who, text in zip(parts[::2], parts[1::2])])


def _lima(shared: Path) -> Iterator[list[dict[str, str]]]:
    with gzip.open(shared / "lima_and_oasst_zh" / "lima.json.gz", "rt", encoding="utf-8") as raw:
        for row in json.load(raw):
            history = [(role, text) for q, a in row["history"] for role, text in (("user", q), ("assistant", a))]
            yield _turns(history + [("user", row["instruction"]), ("assistant", row["output"])])


def _oasst(shared: Path) -> Iterator[list[dict[str, str]]]:
    def paths(message: dict[str, Any], before: list[tuple[str, str]]) -> Iterator[list[tuple[str, str]]]:
        here = before + [("user" if message["role"] == "prompter" else "assistant", message["text"])]
        replies = message.get("replies") or []
        if not replies:
            yield here
        for reply in replies:
            yield from paths(reply, here)

    with open(shared / "oasst_en100_trees" / "en_100_tree.jsonl", encoding="utf-8") as lines:
        for line in lines:
            yield from (_turns(path) for path in paths(json.loads(line)["prompt"], []))


def _sharegpt(path: Path) -> Iterator[list[dict[str, str]]]:
    for row in json.loads(path.read_text(encoding="utf-8")):
        yield _turns([(ROLES[m["from"]], m["value"]) for m in row["conversations"]])


def _instructions(path: Path) -> Iterator[list[dict[str, str]]]:
    for row in json.loads(path.read_text(encoding="utf-8")):
        prompt = row["instruction"] + (f"\n\n{row['input']}" if row.get("input") else "")
        yield _turns([("user", prompt), ("assistant", row["output"])])


def shared_chats(shared: Path) -> list[Row]:
    """Every conversation of the six sources, in source order, each with its source and an id."""
    demos = shared / "llamafactory_demos"
    sources = {"hh_rlhf": _hh(shared), "lima": _lima(shared), "oasst": _oasst(shared),
               "glaive_toolcall": _sharegpt(demos / "glaive_toolcall_en_demo.json"),
               "code_alpaca": _instructions(shared / "code_alpaca" / "code_alpaca_2k.json"),
               "alpaca_demo": _instructions(demos / "alpaca_en_demo.json")}
    return [{"id": f"{name}-{k}", "source": name, "messages": messages}
            for name, conversations in sources.items() for k, messages in enumerate(conversations) if messages]


TOPICS = ["lists in Python", "the capital of Portugal", "baking bread", "a JSON parser in Rust", "tides", "SQL joins",
          "how vaccines work", "Docker volumes", "the French revolution", "sorting in Java"]


def generated_chats(count: int) -> list[Row]:
    """Conversations of a few templated turns, with some repeats, code, e-mail addresses and phone numbers."""
    rows: list[Row] = []
    for k in range(count):
        topic = TOPICS[k % len(TOPICS)]
        answer = (f"Here is what I know about {topic}, point {k % 97}: it takes practice, and `items[::-1]` or "
                  f"```python\nprint({k})\n``` shows one way.")
        if k % 50 == 0:
            answer += f" Write to maria.gonzalez{k}@acme.com or call +41 38 549 02 {k % 90 + 10}."
        messages = [{"role": "user", "content": f"Tell me about {topic}, please ({k % 300})."},
                    {"role": "assistant", "content": answer}]
        rows.append({"id": f"generated-{k}", "source": "generated", "messages": messages})
    return rows
