"""Contracts for each dataset kind over real public data in ../shared/datasets. Every expected figure is
recomputed here by plain Python, independently of traingate's Arrow code, and the two must agree."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import invoke
from tests.contracts.test_loader import ISSUE_CONTRACT
from traingate.contracts import parse_contract
from traingate.engine.runner import validate
from traingate.results import RunResult

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def load(path: Path) -> list[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:  # type: ignore[operator]
        text = f.read()
    return json.loads(text) if text.lstrip().startswith("[") else [json.loads(line) for line in text.splitlines() if line]


def run(yaml_text: str, *data: Path, tmp_path: Path) -> RunResult:
    return validate(parse_contract(yaml_text, str(tmp_path / "c.yaml")), [str(d) for d in data])


def by_id(result: RunResult) -> dict[str, Any]:
    return {c.id: c for c in result.checks}


def test_issue_contract_runs_unchanged_on_llamafactory_tool_calls(shared: Path, tmp_path: Path) -> None:
    data = shared / "llamafactory_demos" / "glaive_toolcall_en_demo.json"
    (tmp_path / "c.yaml").write_text(ISSUE_CONTRACT)
    out = tmp_path / "run.json"
    code, output = invoke("validate", str(tmp_path / "c.yaml"), str(data), "--json", str(out))
    rows = load(data)
    roles = {"human": "u", "gpt": "a", "function_call": "t", "observation": "t"}
    bad = 0
    for row in rows:
        seq = [roles.get(t["from"], "?") for t in row["conversations"]]
        talk = [r for r in seq if r in "ua"]
        calls_ok = all(_is_json(t["value"]) for t in row["conversations"] if t["from"] == "function_call")
        bad += not (seq[0] == "u" and seq[-1] == "a" and "?" not in seq and calls_ok
                    and all(x != y for x, y in zip(talk, talk[1:]))
                    and all(t["value"].strip() for t in row["conversations"]))
    result = json.loads(out.read_text())
    assert code == 0, output
    assert result["dataset"]["rows"] == len(rows) == 300
    assert result["checks"][1]["findings"] == bad == 0
    assert result["dataset"]["faults"] == []


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except ValueError:
        return False


HH = """contract: hh
version: 1.0.0
dataset: {kind: preference}
checks:
  format:
    - type: preference_pair
      shared_prefix_until: "\\n\\nAssistant:"
    - type: empty_text
  quantity:
    - {type: min_rows, min: 2000}
"""


def test_hh_rlhf_preference_pairs(shared: Path, tmp_path: Path) -> None:
    data = shared / "hh_rlhf_harmless_base_test" / "test.jsonl.gz"
    rows = load(data)
    identical = sum(r["chosen"] == r["rejected"] for r in rows)
    marker = "\n\nAssistant:"
    differ = sum(r["chosen"][: r["chosen"].rfind(marker)] != r["rejected"][: r["rejected"].rfind(marker)]
                 for r in rows)
    empty = sum(not r["chosen"].strip() or not r["rejected"].strip() for r in rows)
    checks = by_id(run(HH, data, tmp_path=tmp_path))
    pair = checks["format.preference_pair"]
    assert pair.rows == len(rows) == 2312
    assert pair.details["by_reason"].get("identical", 0) == identical
    assert pair.details["by_reason"].get("different_prompt", 0) == differ
    assert checks["format.empty_text"].findings == empty
    assert checks["quantity.min_rows"].status == "passed"


SFT = """contract: code-sft
version: 1.0.0
dataset:
  kind: sft
  fields: {prompt: instruction, context: input, response: RESPONSE}
checks:
  format:
    - type: empty_text
    - type: code_fences
    - type: whitespace
      space_run: 0
      blank_lines: 0
      crlf: false
"""


@pytest.mark.parametrize(("file", "response"), [("code_alpaca/code_alpaca_2k.json", "output"),
                                                 ("gpteacher/codegen-instruct.json.gz", "response")])
def test_sft_hygiene_on_code_instructions(shared: Path, tmp_path: Path, file: str, response: str) -> None:
    data = shared / file
    rows = load(data)
    empty = sum(not (r.get("instruction") or "").strip() or not (r.get(response) or "").strip() for r in rows)
    odd_fences = sum(any(len(re.findall(r"(?m)^[ \t]*```", r.get(f) or "")) % 2 for f in ("instruction", "input", response))
                     for r in rows)
    padded = sum(any(v != v.strip() for v in (r.get(f) or "" for f in ("instruction", "input", response)) if v)
                 for r in rows)
    checks = by_id(run(SFT.replace("RESPONSE", response), data, tmp_path=tmp_path))
    assert checks["format.empty_text"].rows == len(rows)
    assert checks["format.empty_text"].findings == empty
    assert checks["format.code_fences"].findings == odd_fences
    assert checks["format.whitespace"].findings == padded


REWARD = """contract: judge-scores
version: 1.0.0
dataset:
  kind: reward
  fields: {prompt: instruction, response: output_2, score: preference}
checks:
  format:
    - {type: score_range, min: 1, max: 2}
"""


@pytest.mark.parametrize("file", ["alpaca-7b_vs_gpt4_1106_preview_weighted_alpaca_eval_gpt4_turbo_annotations.json.gz",
                                  "alpaca-7b_vs_text_davinci_003_alpaca_eval_gpt4_annotations.json"])
def test_alpaca_eval_annotation_scores(shared: Path, tmp_path: Path, file: str) -> None:
    data = shared / "alpaca_eval" / file
    rows = load(data)
    outside = sum(not isinstance(r["preference"], (int, float)) or not 1 <= r["preference"] <= 2 for r in rows)
    (check,) = run(REWARD, data, tmp_path=tmp_path).checks
    assert check.rows == len(rows) == 805
    assert check.findings == outside
    assert outside == (0 if "weighted" in file else 16)  # ties are coded 0 in the discrete file


IDENTITY = """contract: identity
version: 1.0.0
dataset:
  kind: sft
  fields: {prompt: instruction, context: input, response: output}
checks:
  format:
    - type: placeholders
"""


def test_llamafactory_identity_placeholders(shared: Path, tmp_path: Path) -> None:
    data = shared / "llamafactory_demos" / "identity.json"
    rows = load(data)
    slots = sum(bool(re.search(r"\{\{\s*\w+\s*\}\}", r["instruction"] + r["input"] + r["output"])) for r in rows)
    (check,) = run(IDENTITY, data, tmp_path=tmp_path).checks
    assert check.rows == len(rows) == 91 and check.findings == slots > 0
    assert {s.excerpt[s.span[0]: s.span[1]] for s in check.samples if s.span} <= {"{{name}}", "{{author}}"}


DPO = """contract: dpo
version: 1.0.0
dataset:
  kind: preference
  fields: {prompt: conversations, chosen: chosen, rejected: rejected, role: from, content: value}
checks:
  format:
    - type: preference_pair
    - type: empty_text
"""


def test_llamafactory_dpo_message_pairs(shared: Path, tmp_path: Path) -> None:
    data = shared / "llamafactory_demos" / "dpo_en_demo.json"
    rows = load(data)
    identical = sum(r["chosen"]["value"] == r["rejected"]["value"] for r in rows)
    empty = sum(not r["chosen"]["value"].strip() or not r["rejected"]["value"].strip() for r in rows)
    checks = by_id(run(DPO, data, tmp_path=tmp_path))
    assert checks["format.preference_pair"].rows == 300
    assert checks["format.preference_pair"].findings == identical
    assert checks["format.empty_text"].findings == empty


GSM = """contract: gsm
version: 1.0.0
dataset:
  kind: sft
  fields: {prompt: question, response: answer}
checks:
  uniqueness:
    - type: exact_duplicates
    - type: exact_duplicates
      name: questions
      on: [prompt]
      normalize: [unicode, whitespace, case]
"""


def test_gsm8k_socratic_repeats_every_test_question(shared: Path, tmp_path: Path) -> None:
    files = [shared / "gsm8k" / "test.jsonl", shared / "gsm8k" / "test_socratic.jsonl"]
    rows = [r for f in files for r in load(f)]
    norm = [" ".join(r["question"].split()).lower() for r in rows]
    repeated_questions = len(norm) - len(set(norm))
    repeated_rows = len(rows) - len({(" ".join(r["question"].split()), " ".join(r["answer"].split())) for r in rows})
    checks = by_id(run(GSM, *files, tmp_path=tmp_path))
    pairs, questions = checks["uniqueness.exact_duplicates"], checks["questions"]
    assert pairs.findings == repeated_rows == 0
    assert pairs.details["same_prompt_different_content"]["prompts"] == repeated_questions == 1319
    assert questions.findings == repeated_questions and questions.details["cluster_sizes"] == {"2": 1319}
    first = questions.details["largest_clusters"][0]["members"]
    assert [Path(m["file"]).name for m in first] == ["test.jsonl", "test_socratic.jsonl"]
    assert [m["line"] for m in first] == [1, 1]
