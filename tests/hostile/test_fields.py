"""Hostile cases for field access: a check pointed at a field, column, feature, turn key or GX column that no
row of the data holds errs (exit 3), naming the check, the field and the columns the data has, with the
closest spelling; it never passes. Absence is judged over the whole run, merged across files and worker
shards: a field in one file of two, or null in every row, is present; `dataset.optional_fields` lets a
field be absent."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT
from traingate.cli.app import app

RUN_SECONDS = 180  # a sharded run is bounded by the test, not by luck
WORKERS = [1, pytest.param(2, marks=pytest.mark.slow)]  # one process (in this one), and 2 workers in a subprocess

# Each case: a check (its YAML flow mapping with the misspelt name), the name as the contract gives it, and the
# spelling the message must suggest. The contract of a case holds every check of its kind.
PRETRAINING: list[tuple[str, str, str]] = [
    ("format: {type: empty_text, fields: [txet]}", "txet", "text"),
    ("format: {type: whitespace, fields: [txet]}", "txet", "text"),
    ("format: {type: encoding, fields: [txet]}", "txet", "text"),
    ("format: {type: special_tokens, fields: [txet]}", "txet", "text"),
    ("format: {type: code_fences, fields: [txet]}", "txet", "text"),
    ("format: {type: placeholders, fields: [txet]}", "txet", "text"),
    ("format: {type: min_tokens, fields: [txet], limit: 1}", "txet", "text"),
    ("format: {type: max_tokens, fields: [txet], limit: 100}", "txet", "text"),
    ("format: {type: min_chars, fields: [txet], limit: 1}", "txet", "text"),
    ("format: {type: max_chars, fields: [txet], limit: 100}", "txet", "text"),
    ("format: {type: score_range, field: scroe}", "scroe", "score"),
    ("uniqueness: {type: exact_duplicates, on: [txet]}", "txet", "text"),
    ("uniqueness: {type: near_duplicates, on: [txet]}", "txet", "text"),
    ("uniqueness: {type: split_leakage, on: [txet]}", "txet", "text"),
    ("uniqueness: {type: contamination, on: [txet], against: [{path: eval.jsonl}]}", "txet", "text"),
    ("compliance: {type: pii, fields: [txet], recognizers: patterns}", "txet", "text"),
    ("compliance: {type: pii, language_field: lnag, recognizers: patterns}", "lnag", "lang"),
    ("compliance: {type: secrets, fields: [txet]}", "txet", "text"),
    ("compliance: {type: blocklist, fields: [txet], terms: [zzz]}", "txet", "text"),
    ("compliance: {type: licence, column: licnese}", "licnese", "license"),
    ("compliance: {type: lineage, generator_column: genrator, deny_generators: [gpt]}", "genrator", "generator"),
    ("compliance: {type: lineage, synthetic: {column: synthetc, max_share: 0.5}}", "synthetc", "synthetic"),
    ("relevance: {type: keywords, forbidden: {txet: [zzz]}}", "txet", "text"),
    ("relevance: {type: keywords, required: {txet: [hello]}}", "txet", "text"),
    ("relevance: {type: scorer, function: 'tests.validators.scorers:text_length', columns: [scroe]}", "scroe", "score"),
    ("consistency: {type: agreement, item: itme}", "itme", "item"),
    ("consistency: {type: agreement, layout: wide, annotators: [rater_a, ratr_b]}", "ratr_b", "rater_b"),
    ("consistency: {type: conflicting_labels, on: [txet], label: topic}", "txet", "text"),
    ("consistency: {type: conflicting_labels, on: [text], label: topc}", "topc", "topic"),
    ("coverage: {type: distribution, feature: topc, targets: {sea: {max: 1.0}}}", "topc", "topic"),
    ("coverage: {type: distribution, feature: meta.lnag, targets: {en: {max: 1.0}}}", "meta.lnag", "meta.lang"),
    ("coverage: {type: diversity, feature: topc}", "topc", "topic"),
    ("expectations: {expect_column_values_to_not_be_null: {column: topc}}", "topc", "topic"),
    ("expectations: {expect_column_mean_to_be_between: {column: scroe, min_value: 0}}", "scroe", "score"),
]
ROWS = [{"text": "hello world, a first row", "topic": "sea", "score": 1, "license": "MIT", "lang": "en",
         "generator": "x", "synthetic": "no", "item": "i1", "annotator": "a", "label": "yes", "rater_a": "yes",
         "rater_b": "yes", "meta": {"lang": "en"}},
        {"text": "another text, a second row", "topic": "land", "score": 2, "license": "MIT", "lang": "en",
         "generator": "y", "synthetic": "no", "item": "i1", "annotator": "b", "label": "yes", "rater_a": "no",
         "rater_b": "no", "meta": {"lang": "de"}}]
COLUMNS = "annotator, generator, item, label, lang, license, meta, rater_a, rater_b, score, synthetic, text, topic"

SFT_FIELDS = "  fields: {prompt: instruction}\n"
SFT = [("format: {type: max_chars, limit: 1000}", "prompt", "instrution"),
       ("format: {type: empty_text}", "prompt", "instrution"),
       ("alignment: {type: length_ratio, max: 100}", "prompt", "instrution"),
       ("uniqueness: {type: exact_duplicates}", "prompt", "instrution"),
       ("compliance: {type: pii, recognizers: patterns}", "prompt", "instrution")]
SFT_ROWS = [{"instrution": "Say hello.", "response": "Hello there, friend."},
            {"instrution": "Say bye.", "response": "Goodbye, friend."}]

CHAT_CHECKS = ["format: {type: chat_structure}", "format: {type: max_chars, limit: 1000}",
               "compliance: {type: pii, recognizers: patterns}", "alignment: {type: truncated}",
               "alignment: {type: refusals}", "uniqueness: {type: exact_duplicates}",
               "coverage: {type: distribution, feature: turns, targets: {'2': {max: 1.0}}}"]
TURNS = [[{"role": "user", "content": "hi there"}, {"role": "assistant", "content": "Hello, how can I help?"}],
         [{"role": "user", "content": "bye"}, {"role": "assistant", "content": "Goodbye, take care."}]]


def contract_yaml(kind: str, checks: list[str], fields: str = "", optional: str = "") -> str:
    groups: dict[str, list[str]] = {}
    gx: list[str] = []
    for number, check in enumerate(checks):  # each named c00, c01, ... in the order given
        group, body = check.split(": ", 1)
        body = f"{body[:-1]}, name: c{number:02d}}}"
        (gx if group == "expectations" else groups.setdefault(group, [])).append(body)
    text = f"contract: fields\nversion: 1.0.0\ndataset:\n  kind: {kind}\n{fields}{optional}checks:\n"
    text += "".join(f"  {g}:\n" + "".join(f"    - {b}\n" for b in bodies) for g, bodies in groups.items())
    return text + ("expectations:\n" + "".join(f"  - {b}\n" for b in gx) if gx else "")


def workspace(tmp_path: Path, contract: str, first: list[Any], second: list[Any]) -> tuple[Path, Path]:
    """The contract and a folder of two JSON lines files (two shards for --workers 2)."""
    data = tmp_path / "data"
    data.mkdir()
    for name, rows in (("a.jsonl", first), ("b.jsonl", second)):
        (data / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "eval.jsonl").write_text(json.dumps({"question": "what is the capital city of the land of x"}) + "\n")
    (tmp_path / "c.yaml").write_text(contract)
    return tmp_path / "c.yaml", data


def validate(tmp_path: Path, contract: Path, data: Path, workers: int) -> tuple[int, dict[str, Any], str]:
    """One process: in this one (CliRunner). Two workers: a subprocess in its own session, bounded in time,
    after which no process of that session (a worker) may be left."""
    out = tmp_path / f"run{workers}.json"
    args = ["validate", str(contract), str(data), "--workers", str(workers), "--json", str(out)]
    if workers == 1:
        result = CliRunner().invoke(app, args)
        code, output = result.exit_code, result.stdout + result.stderr
    else:
        proc = subprocess.Popen([sys.executable, "-m", "traingate", *args], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            output, _ = proc.communicate(timeout=RUN_SECONDS)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        code = proc.returncode
        assert session_ends(proc.pid), "a worker outlived the run"
    assert "Traceback" not in output, output
    return code, json.loads(out.read_text()), output


def session_ends(session: int, seconds: float = 10.0) -> bool:
    """Whether every process of the session is gone within `seconds` (a worker may take a moment to exit
    after the driver; then it is killed, so that none is left behind by the test either)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(session, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(session, signal.SIGKILL)
    return False


def by_id(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in result["checks"]}


def assert_absent(check: dict[str, Any], name: str, guess: str, columns: str) -> None:
    message = check["message"]
    assert check["status"] == "errored", check
    assert message.startswith(f"field_absent: check {check['id']} reads ") and repr(name) in message, message
    assert columns in message and f"did you mean {guess!r}?" in message, message


@pytest.mark.parametrize("workers", WORKERS)
def test_every_check_on_a_misspelt_field_errs_naming_it_and_the_columns(tmp_path: Path, workers: int) -> None:
    contract, data = workspace(tmp_path, contract_yaml("pretraining", [c for c, _, _ in PRETRAINING]), ROWS[:1], ROWS[1:])
    code, result, output = validate(tmp_path, contract, data, workers)
    assert code == 3 and result["gate"]["verdict"] == "errored", output
    assert result["dataset"]["shards"] == 2 if workers == 2 else True
    checks = by_id(result)
    assert len(checks) == len(PRETRAINING)
    for number, (_, name, guess) in enumerate(PRETRAINING):
        assert_absent(checks[f"c{number:02d}"], name, guess, f"the data has columns: {COLUMNS}")
        assert f"check c{number:02d} could not run" in result["gate"]["reasons"]
        assert f"- check c{number:02d} could not run" in output  # the terminal says so too


def test_the_same_checks_spelt_right_do_not_err(tmp_path: Path) -> None:
    """The control: the error comes from the misspelling, not from the check types."""
    fixed = [c.replace(name, guess) for c, name, guess in PRETRAINING]
    contract, data = workspace(tmp_path, contract_yaml("pretraining", fixed), ROWS[:1], ROWS[1:])
    _, result, output = validate(tmp_path, contract, data, 1)
    assert not [c["id"] for c in result["checks"] if c["status"] == "errored"], output


@pytest.mark.parametrize("workers", WORKERS)
def test_a_logical_field_mapped_to_a_missing_column_errs(tmp_path: Path, workers: int) -> None:
    checks = [c for c, _, _ in SFT] + ["alignment: {type: refusals}"]  # refusals reads only the response
    contract, data = workspace(tmp_path, contract_yaml("sft", checks, SFT_FIELDS), SFT_ROWS[:1], SFT_ROWS[1:])
    code, result, output = validate(tmp_path, contract, data, workers)
    assert code == 3, output
    checks = by_id(result)
    for number, (_, name, guess) in enumerate(SFT):
        assert_absent(checks[f"c{number:02d}"], name, guess, "the data has columns: instrution, response")
        assert "field 'prompt' (column 'instruction')" in checks[f"c{number:02d}"]["message"]
    assert checks[f"c{len(SFT):02d}"]["status"] == "passed"


@pytest.mark.parametrize("key", ["content", "role"])
@pytest.mark.parametrize("workers", WORKERS)
def test_a_chat_whose_turn_key_is_misspelt_errs_rather_than_reading_empty_turns(
        tmp_path: Path, key: str, workers: int) -> None:
    misspelt = {"content": "contnet", "role": "rloe"}[key]
    fields = f"  fields: {{{key}: {misspelt}}}\n"
    rows = [{"messages": turns} for turns in TURNS]
    contract, data = workspace(tmp_path, contract_yaml("chat", CHAT_CHECKS, fields), rows[:1], rows[1:])
    code, result, output = validate(tmp_path, contract, data, workers)
    assert code == 3, output
    assert len(result["checks"]) == len(CHAT_CHECKS)
    for check in result["checks"]:
        assert_absent(check, misspelt, key, "its items hold keys: content, role")
        assert "in the items of field 'messages'" in check["message"]


def test_a_chat_whose_messages_column_is_misspelt_errs(tmp_path: Path) -> None:
    rows = [{"conversations": turns} for turns in TURNS]
    contract, data = workspace(tmp_path, contract_yaml("chat", CHAT_CHECKS, "  fields: {messages: conversatons}\n"),
                               rows[:1], rows[1:])
    code, result, output = validate(tmp_path, contract, data, 1)
    assert code == 3, output
    for check in result["checks"]:
        assert_absent(check, "conversatons", "conversations", "the data has columns: conversations")


@pytest.mark.parametrize("workers", WORKERS)
def test_a_field_in_one_file_of_two_is_present(tmp_path: Path, workers: int) -> None:
    """Absence is judged over the whole run: merged across files, and across worker shards."""
    checks = ["coverage: {type: distribution, feature: topic, targets: {sea: {max: 1.0}}}",
              "format: {type: max_chars, fields: [text, note], limit: 1000}",
              "compliance: {type: blocklist, fields: [note], terms: [zzz]}",
              "expectations: {expect_column_values_to_not_be_null: {column: topic, mostly: 0.1}}"]
    first = [{"text": "a row without a topic or a note"}]
    second = [{"text": "a row with both", "topic": "sea", "note": "a note"}]
    contract, data = workspace(tmp_path, contract_yaml("pretraining", checks), first, second)
    code, result, output = validate(tmp_path, contract, data, workers)
    assert code == 0 and [c["status"] for c in result["checks"]] == ["passed"] * 4, output


def test_a_column_null_in_every_row_is_present(tmp_path: Path) -> None:
    checks = ["coverage: {type: distribution, feature: topic, targets: {sea: {max: 1.0}}}",
              "compliance: {type: licence}", "format: {type: max_chars, fields: [note], limit: 10}"]
    rows = [{"text": "t", "topic": None, "license": None, "note": None}]
    contract, data = workspace(tmp_path, contract_yaml("pretraining", checks), rows, rows)
    _, result, output = validate(tmp_path, contract, data, 1)
    statuses = {c["id"]: c["status"] for c in result["checks"]}
    assert statuses == {"c00": "errored", "c01": "failed", "c02": "passed"}, output  # c01: every licence is missing
    assert "contract problem: feature 'topic' is missing or empty" in output  # c00: a feature with no value to count
    assert "field_absent" not in output


@pytest.mark.parametrize("workers", WORKERS)
def test_a_field_declared_optional_may_be_absent(tmp_path: Path, workers: int) -> None:
    checks = ["coverage: {type: distribution, feature: topc, targets: {sea: {max: 1.0}}}",
              "format: {type: max_chars, fields: [text, nte], limit: 1000}",
              "relevance: {type: keywords, forbidden: {nte: [zzz]}}"]
    optional = "  optional_fields: [topc, nte]\n"
    contract, data = workspace(tmp_path, contract_yaml("pretraining", checks, optional=optional), ROWS[:1], ROWS[1:])
    code, result, output = validate(tmp_path, contract, data, workers)
    assert code == 0 and [c["status"] for c in result["checks"]] == ["passed"] * 3, output
    assert "field_absent" not in output


def test_optional_fields_excuse_only_the_fields_they_name(tmp_path: Path) -> None:
    checks = ["format: {type: max_chars, fields: [nte], limit: 1000}", "format: {type: min_chars, fields: [txet], limit: 1}"]
    contract, data = workspace(tmp_path, contract_yaml("pretraining", checks, optional="  optional_fields: [nte]\n"),
                               ROWS[:1], ROWS[1:])
    code, result, _ = validate(tmp_path, contract, data, 1)
    assert code == 3 and [c["status"] for c in result["checks"]] == ["passed", "errored"]
    assert_absent(result["checks"][1], "txet", "text", f"the data has columns: {COLUMNS}")


def test_a_required_column_that_is_missing_stays_a_failed_check(tmp_path: Path) -> None:
    """schema and lineage judge a missing required column themselves: a failing verdict (exit 1), not an error;
    a column that is not required may be missing."""
    checks = ["format: {type: schema, columns: {txet: {dtype: string}, nte: {required: false, nullable: true}}}",
              "compliance: {type: lineage, required: [sorce]}"]
    contract, data = workspace(tmp_path, contract_yaml("pretraining", checks), ROWS[:1], ROWS[1:])
    code, result, output = validate(tmp_path, contract, data, 1)
    assert code == 1 and [c["status"] for c in result["checks"]] == ["failed", "failed"], output
    assert "field_absent" not in output


def test_gx_expect_column_to_exist_judges_the_absence_itself(tmp_path: Path) -> None:
    checks = ["expectations: {expect_column_to_exist: {column: topc}}"]
    contract, data = workspace(tmp_path, contract_yaml("pretraining", checks), ROWS[:1], ROWS[1:])
    code, result, output = validate(tmp_path, contract, data, 1)
    assert code == 1 and result["checks"][0]["status"] == "failed", output
