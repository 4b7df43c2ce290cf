"""report, diff, promote, ledger and card, driven through the CLI as a user runs them."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.cli.test_cli import invoke
from tests.conftest import write_jsonl

CONTRACT = """\
contract: wf
version: 1.2.0
description: Workflow test data.
dataset:
  kind: sft
checks:
  format:
    - {type: empty_text, max_count: 0}
  uniqueness:
    - {type: exact_duplicates, max_rate: 0.1}
  compliance:
    - {type: pii, recognizers: patterns, max_count: 0}
"""
CLEAN = [{"prompt": f"Question {i} about the sea?", "response": f"Answer {i}: the sea is deep."} for i in range(20)]


def run_saved(tmp_path: Path, rows: list[dict[str, str]], name: str) -> tuple[int, Path]:
    contract, data = tmp_path / "c.yaml", write_jsonl(tmp_path / f"{name}.jsonl", rows)
    contract.write_text(CONTRACT)
    code, _ = invoke("validate", str(contract), str(data), "--json", str(tmp_path / f"{name}.json"))
    return code, tmp_path / f"{name}.json"


def test_diff_finds_planted_duplicates_and_pii(tmp_path: Path) -> None:
    code_old, old = run_saved(tmp_path, CLEAN, "old")
    worse = CLEAN + CLEAN[:5] + [{"prompt": "Mail me", "response": "at ann@acme.com"}]
    code_new, new = run_saved(tmp_path, worse, "new")
    assert (code_old, code_new) == (0, 1)
    code, output = invoke("diff", str(old), str(new))
    assert code == 1 and "uniqueness.exact_duplicates now failed (was passed)" in output
    assert "compliance.pii now failed (was passed)" in output
    code, output = invoke("diff", str(old), str(old))
    assert code == 0 and "no regressions" in output


DIFF_CONTRACT = """\
contract: diffed
version: 1.0.0
dataset:
  kind: sft
checks:
  format:
    - {type: max_chars, limit: 60, max_rate: 0.05}
  uniqueness:
    - {type: exact_duplicates, max_rate: 0.1}
  quantity:
    - {type: min_rows, min: 50}
"""
LONG = {"prompt": "Tell me everything", "response": "a very long answer " * 10}


def diff_runs_of(tmp_path: Path, old_rows: list[dict[str, str]], new_rows: list[dict[str, str]]) -> tuple[Path, Path]:
    (tmp_path / "c.yaml").write_text(DIFF_CONTRACT)
    saved = []
    for name, rows in (("old", old_rows), ("new", new_rows)):
        data = write_jsonl(tmp_path / f"{name}.jsonl", rows)
        assert invoke("validate", str(tmp_path / "c.yaml"), str(data), "--json", str(tmp_path / f"{name}.json"))[0] == 0
        saved.append(tmp_path / f"{name}.json")
    return saved[0], saved[1]


def test_diff_does_not_call_cleaning_a_regression(tmp_path: Path) -> None:
    rows = [{"prompt": f"Question {i}?", "response": f"Answer {i}."} for i in range(95)] + [LONG]
    # Cleaning drops 4 duplicate rows: the long-row rate creeps 1/100 -> 1/96 (1% of its room to 0.05) and
    # the row count 100 -> 96 (8% of its room to 50); neither got worse in any sense that matters.
    old, new = diff_runs_of(tmp_path, rows + rows[:4], rows)
    code, output = invoke("diff", str(old), str(new))
    assert code == 0 and "no regressions" in output and "uniqueness.exact_duplicates" not in output.split("no regressions")[0]
    code, output = invoke("diff", str(old), str(new), "--tolerance", "quantity.min_rows=0.05")
    assert code == 1 and "quantity.min_rows: rows 100 -> 96" in output and "format.max_chars" not in output


def test_diff_flags_a_metric_that_used_up_much_of_its_room(tmp_path: Path) -> None:
    rows = [{"prompt": f"Question {i}?", "response": f"Answer {i}."} for i in range(99)]
    # Long rows 1 -> 3 of 100: the rate moves 0.01 -> 0.03, half the way to its threshold 0.05, still passing.
    old, new = diff_runs_of(tmp_path, rows + [LONG], rows[:97] + [LONG] * 3)
    code, output = invoke("diff", str(old), str(new))
    assert code == 1 and "format.max_chars: rate 0.01 -> 0.03" in output and "quantity.min_rows" not in output
    assert invoke("diff", str(old), str(new), "--tolerance", "0.6")[0] == 0
    code, output = invoke("diff", str(old), str(new), "--tolerance", "no.such_check=0.5")
    assert code == 2 and "no.such_check" in output


def test_promote_refuses_failures_accepts_overrides_and_ledger_detects_edits(tmp_path: Path) -> None:
    _, good = run_saved(tmp_path, CLEAN, "good")
    _, bad = run_saved(tmp_path, CLEAN + CLEAN[:5], "bad")
    ledger = tmp_path / "ledger.jsonl"
    code, output = invoke("promote", str(bad), "--approver", "ana", "--ledger", str(ledger))
    assert code == 1 and "did not pass its gate" in output and not ledger.exists()
    assert invoke("promote", str(bad), "--approver", "ana", "--ledger", str(ledger), "--override", "known dupes")[0] == 0
    assert invoke("promote", str(good), "--approver", "bo", "--ledger", str(ledger), "--note", "v1")[0] == 0
    code, output = invoke("ledger", str(ledger))
    assert code == 0 and "2 record(s), chain intact" in output and "override: known dupes" in output
    records = ledger.read_text().splitlines()
    first = json.loads(records[0])
    statement = json.loads(base64.b64decode(first["payload"]))
    statement["predicate"]["approver"] = "mallory"
    first["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    ledger.write_text(json.dumps(first) + "\n" + records[1] + "\n")
    code, output = invoke("ledger", str(ledger))
    assert code == 1 and "record 2" in output and "broken link" in output


def test_promote_refuses_a_dataset_changed_since_the_run(tmp_path: Path) -> None:
    _, good = run_saved(tmp_path, CLEAN, "good")
    write_jsonl(tmp_path / "good.jsonl", CLEAN[:-1])
    code, output = invoke("promote", str(good), "--approver", "ana", "--ledger", str(tmp_path / "l.jsonl"))
    assert code == 1 and "the dataset changed since run" in output


def test_promote_from_another_directory_finds_data_given_relative_to_where_validate_ran(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "project").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "project" / "c.yaml").write_text(CONTRACT)
    write_jsonl(tmp_path / "project" / "d.jsonl", CLEAN)
    monkeypatch.chdir(tmp_path / "project")
    assert invoke("validate", "c.yaml", "d.jsonl", "--json", "run.json")[0] == 0
    monkeypatch.chdir(tmp_path / "elsewhere")
    ledger = tmp_path / "elsewhere" / "l.jsonl"
    code, output = invoke("promote", str(tmp_path / "project" / "run.json"), "--approver", "ana", "--ledger", str(ledger))
    assert code == 0 and "promoted run" in output and len(ledger.read_text().splitlines()) == 1
    write_jsonl(tmp_path / "project" / "d.jsonl", CLEAN[:-1])  # still caught when changed, from here too
    code, output = invoke("promote", str(tmp_path / "project" / "run.json"), "--approver", "ana", "--ledger", str(ledger))
    assert code == 1 and "the dataset changed since run" in output and "d.jsonl" in output


def test_report_markdown_github_and_card(tmp_path: Path) -> None:
    _, saved = run_saved(tmp_path, CLEAN + [{"prompt": "", "response": "x"}], "run")
    code, output = invoke("report", str(saved), "--markdown", "-", "--format", "github", "--html", str(tmp_path / "r.html"))
    assert code == 0 and "## traingate: FAILED — wf 1.2.0" in output
    assert "| format.empty_text | ❌ failed | 1 row &gt; 0 | 1 |" in output
    assert f"::error file={tmp_path / 'run.jsonl'},line=21,title=format.empty_text::" in output
    assert (tmp_path / "r.html").read_text().count("format.empty_text") >= 2
    code, output = invoke("card", str(saved))
    assert code == 0 and "# Dataset card: wf" in output
    assert "| format | format.empty_text | ≤ 0 | 1 row | failed |" in output
    code, output = invoke("report", str(tmp_path / "run.jsonl"))
    assert code == 3 and "is not a traingate run" in output


def test_github_annotation_points_at_the_first_failing_row_in_data_order(tmp_path: Path) -> None:
    # 60 empty responses from line 41 on: more than the 20 samples kept, so the first is not always sampled.
    rows = CLEAN * 2 + [{"prompt": f"q{i}", "response": ""} for i in range(60)]
    (tmp_path / "c.yaml").write_text(CONTRACT)
    files = [write_jsonl(tmp_path / "a.jsonl", CLEAN), write_jsonl(tmp_path / "b.jsonl", rows)]
    code, output = invoke("validate", str(tmp_path / "c.yaml"), *map(str, files), "--format", "github",
                          "--json", str(tmp_path / "run.json"))
    first = next(n for n, r in enumerate(rows, start=1) if not r["response"])  # computed here, from the rows
    assert code == 1 and f"::error file={files[1]},line={first},title=format.empty_text::" in output
    assert f"line={first},title" in invoke("report", str(tmp_path / "run.json"), "--format", "github")[1]
    saved = json.loads((tmp_path / "run.json").read_text())
    (check,) = [c for c in saved["checks"] if c["id"] == "format.empty_text"]
    assert first not in [s["line"] for s in check["samples"]]  # the case the samples alone got wrong


def test_github_annotation_of_a_json_array_gives_the_item_line_or_says_item(tmp_path: Path) -> None:
    items = [{"prompt": f"Question {i}?", "response": "" if i == 7 else f"Answer {i}."} for i in range(10)]
    (tmp_path / "c.yaml").write_text(CONTRACT.split("  compliance:")[0])
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(items, indent=2))
    start = pretty.read_text().splitlines().index('    "prompt": "Question 7?",')  # 0-based line after the "{"
    code, output = invoke("validate", str(tmp_path / "c.yaml"), str(pretty), "--format", "github")
    assert code == 1 and f"::error file={pretty},line={start},title=format.empty_text::" in output
    compact = tmp_path / "compact.json"
    compact.write_text(json.dumps(items))
    code, output = invoke("validate", str(tmp_path / "c.yaml"), str(compact), "--format", "github")
    assert code == 1 and f"::error file={compact},title=format.empty_text::item 8: " in output


def test_init_tells_the_kind_from_the_columns() -> None:
    import pyarrow as pa

    from traingate.profiling import guess_kind

    turns = pa.list_(pa.struct([("from", pa.string()), ("value", pa.string())]))
    cases = {"chat": [("conversations", turns), ("id", pa.string())],
             "preference": [("prompt", pa.string()), ("chosen", pa.string()), ("rejected", pa.string())],
             "reward": [("question", pa.string()), ("answer", pa.string()), ("rating", pa.float64())],
             "sft": [("instruction", pa.string()), ("input", pa.string()), ("output", pa.string())],
             "pretraining": [("text", pa.string()), ("url", pa.string())], None: [("a", pa.int64()), ("b", pa.string())]}
    assert {kind: guess_kind(pa.schema(fields)) for kind, fields in cases.items()} == {k: k for k in cases}
    # A score column that is text does not make a reward set.
    assert guess_kind(pa.schema([("prompt", pa.string()), ("response", pa.string()), ("score", pa.string())])) == "sft"


def test_init_without_a_kind_guesses_it_or_says_what_to_pass(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", [{"messages": [{"role": "user", "content": f"hi {i}"},
                                                            {"role": "assistant", "content": "hello"}]} for i in range(5)])
    code, output = invoke("init", str(data), "-o", str(tmp_path / "c.yaml"))
    assert code == 0 and "kind chat, guessed from the columns" in output
    assert "kind: chat\n" in (tmp_path / "c.yaml").read_text()
    data = write_jsonl(tmp_path / "e.jsonl", [{"a": i, "b": "x"} for i in range(5)])
    code, output = invoke("init", str(data), "-o", str(tmp_path / "e.yaml"))
    assert code == 3 and "columns (a, b) do not say which kind" in output and "--kind" in output
    assert not (tmp_path / "e.yaml").exists()


def test_init_thresholds_come_from_the_data(tmp_path: Path) -> None:
    rows = [{"instruction": f"Explain item {i}", "output": f"Item {i} is fine. " * (i % 5 + 1)} for i in range(40)]
    rows += [{"instruction": "Explain item 0", "output": "Item 0 is fine. "}, {"instruction": "x", "output": ""}]
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    code, _ = invoke("init", str(data), "--kind", "sft", "-o", str(tmp_path / "c.yaml"))
    text = (tmp_path / "c.yaml").read_text()
    assert code == 0 and "prompt: instruction" in text and "response: output" in text
    # 1 empty response of 42 rows: 2.38% * 1.5 = 3.57%, rounded up to 0.036; 1 duplicate row likewise.
    assert "max_rate: 0.036  # observed 1 of 42 rows (2.38%)" in text and "min: 37  # observed 42 rows" in text
    assert invoke("validate", str(tmp_path / "c.yaml"), str(data))[0] == 0
