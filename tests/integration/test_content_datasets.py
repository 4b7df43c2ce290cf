"""Content checks over real data in ../shared/datasets; every figure recomputed here in plain Python
(or known from how the data was made: one file per language, one file per subject)."""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from traingate.contracts import parse_contract
from traingate.engine.runner import validate
from traingate.results import RunResult
from traingate.validators.alignment.endings import RULES, finished_form
from traingate.validators.alignment.responses import DEFAULT_REFUSALS

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ENDINGS = ".!?…\"'”’)]}*`>|:;"


def run(kind: str, fields: str, checks: str, data: list[str], tmp_path: Path) -> RunResult:
    text = f"contract: c\nversion: 1.0.0\ndataset:\n  kind: {kind}\n{fields}checks:\n{checks}"
    return validate(parse_contract(text, str(tmp_path / "c.yaml")), data)


def test_mmlu_subject_mix_from_the_source_files(shared: Path, tmp_path: Path) -> None:
    files = sorted((shared / "mmlu" / "test").glob("*.csv"))
    expected = {}
    for f in files:
        with f.open(encoding="utf-8") as handle:
            expected[f.name] = sum(1 for _ in csv.DictReader(handle))
    checks = ("  coverage:\n    - type: distribution\n      feature: file\n"
              "      targets: {high_school_psychology_test.csv: {min: 0.03}, anatomy_test.csv: {min: 0.01}}\n")
    result = run("pretraining", "  fields: {text: question}\n", checks, [str(shared / "mmlu" / "test")], tmp_path)
    (check,) = result.checks
    assert check.details["counts"] == expected and len(expected) == 57 and sum(expected.values()) == 14042
    # anatomy has 135 of 14,042 questions (0.96%): below its 1% target; psychology has 545 (3.9%).
    assert check.details["violations"] == ["'anatomy_test.csv' at 1.0%, outside [1%, 100%]"]


def test_self_instruct_app_coverage_and_diversity(shared: Path, tmp_path: Path) -> None:
    path = shared / "self_instruct" / "user_oriented_instructions.jsonl"
    apps = Counter(json.loads(line)["motivation_app"] for line in path.read_text(encoding="utf-8").splitlines())
    checks = ("  coverage:\n    - type: distribution\n      feature: motivation_app\n      required: [Gmail, TikTok]\n"
              "    - type: diversity\n      feature: motivation_app\n      min_entropy: 0.9\n")
    distribution, diversity = run("pretraining", "  fields: {text: instruction}\n", checks, [str(path)], tmp_path).checks
    assert distribution.details["counts"] == dict(apps.most_common()) and len(apps) == 71
    assert distribution.details["violations"] == ["value 'TikTok' never occurs (required)"]
    total = sum(apps.values())
    entropy = -sum(n / total * __import__("math").log(n / total) for n in apps.values()) / __import__("math").log(len(apps))
    assert diversity.details["normalised_entropy"] == pytest.approx(entropy) and diversity.status == "passed"


# fastText's small model is unsure of Swahili: at confidence 0.5 it names 118 of 250 questions (91% at 0.2).
CONFIDENT = ("bn", "de", "en", "es", "fr", "ja", "ru", "te", "th", "zh")


@pytest.mark.parametrize(("lang", "options"), [(lang, "") for lang in CONFIDENT]
                         + [("sw", "      min_confidence: 0.2\n      min_share: 0.9\n")])
def test_mgsm_language_of_each_file(shared: Path, tmp_path: Path, lang: str, options: str) -> None:
    lines = (shared / "mgsm" / f"mgsm_{lang}.tsv").read_text(encoding="utf-8").splitlines()
    data = tmp_path / "q.jsonl"  # the TSV has no header row: questions become a JSONL first
    data.write_text("".join(json.dumps({"text": line.split("\t")[0]}) + "\n" for line in lines))
    checks = f"  relevance:\n    - type: language\n      allowed: [{lang}]\n" + (options or "      min_share: 0.95\n")
    (check,) = run("pretraining", "", checks, [str(data)], tmp_path).checks
    assert check.rows == len(lines) == 250 and check.status == "passed", check.details["languages"]


def test_lima_and_chinese_oasst_language_mix(shared: Path, tmp_path: Path) -> None:
    lima = json.loads(gzip.decompress((shared / "lima_and_oasst_zh" / "lima.json.gz").read_bytes()))
    zh = json.loads((shared / "lima_and_oasst_zh" / "oaast_sft_zh.json").read_text(encoding="utf-8"))
    (tmp_path / "lima.json").write_text(json.dumps(lima))
    checks = ("  coverage:\n    - type: distribution\n      feature: language\n"
              f"      mix: {{en: {len(lima)}, zh: {len(zh)}}}\n      max_divergence: 0.06\n")
    fields = "  fields: {prompt: instruction, response: output}\n"
    data = [str(tmp_path / "lima.json"), str(shared / "lima_and_oasst_zh" / "oaast_sft_zh.json")]
    (check,) = run("sft", fields, checks, data, tmp_path).checks
    counts = check.details["counts"]
    assert check.rows == len(lima) + len(zh) == 1718 and check.status == "passed"
    # 97% of rows read as the language of their file or as unknown (fastText less than 50% sure: 55 rows,
    # mostly short technical questions such as 'How do I add Git submodule to a sub-directory?'). LIMA is
    # not all English: it holds Portuguese and Spanish StackExchange questions (read by hand: 'Para que
    # serve o "with" no Python?'); the small model reads some short Chinese rows as Japanese.
    named = counts["en"] + counts["zh"]
    assert named + counts["unknown"] >= 0.97 * check.rows and named >= 0.94 * check.rows
    assert counts["pt"] >= 1 and counts["es"] >= 1 and "" not in counts


def truncated(text: str) -> str | None:
    if len(re.findall(r"(?m)^[ \t]*```", text)) % 2:
        return "unclosed_code_fence"
    body = text.rstrip()
    if not body or body[-1] in ENDINGS or len(text.split()) < 8:
        return None
    # a finished form (list item, heading, URL, hashtags, signature, title, emoji; validators/alignment/endings.py,
    # whose rules the unit tests and a labelled sample pin) is not a cut: 13 of this file's 17 rows
    return None if finished_form(text, list(RULES)) else "ends_mid_sentence"


def test_refusals_and_truncation_in_gpt4_answers(shared: Path, tmp_path: Path) -> None:
    path = shared / "alpaca_eval" / "gpt4_1106_preview_model_outputs.json"
    rows: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    refusing = sum(any(p in r["output"].lower() for p in DEFAULT_REFUSALS) for r in rows)
    cut = Counter(reason for r in rows if (reason := truncated(r["output"])))
    checks = "  alignment:\n    - type: refusals\n    - type: truncated\n"
    refusals, truncation = run("sft", "  fields: {prompt: instruction, response: output}\n", checks, [str(path)],
                               tmp_path).checks
    assert refusals.findings == refusing == 20
    assert truncation.details["by_reason"] == dict(cut) and truncation.findings == sum(cut.values())
