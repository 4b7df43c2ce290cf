"""Hostile cases for reading: nothing read is lost, and nothing unread passes. Every file given is read or
listed as skipped with its reason; a file that looks like data and cannot be read is exit 3 naming it and how
to exclude it; a broken CSV quote, a type that changes between files or blocks, an empty dataset and an
overlong line are each caught; reading stays linear. Processes run under a timeout set by the test."""

from __future__ import annotations

import hashlib
import json
import lzma
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from traingate.cli.app import app

CONTRACT = """\
contract: hostile-reading
version: 1.0.0
dataset:
  kind: sft
checks:
  format:
    - {type: empty_text, max_rate: 0.5}
"""
ROW = b'{"prompt": "a question", "response": "an answer"}\n'


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """traingate in its own process, ended by the test if it outlives `timeout`."""
    return subprocess.run([sys.executable, "-m", "traingate", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def digests(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def contract_in(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(CONTRACT.replace("  kind: sft\n", "  kind: sft\n" + extra))
    return path


def data_dir(tmp_path: Path, *others: tuple[str, bytes]) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "a.jsonl").write_bytes(ROW * 3)
    for name, content in others:
        (folder / name).write_bytes(content)
    return folder


UNREADABLE = [("part-00004", ROW), ("x.jsonl.xz", lzma.compress(ROW)), ("x.txt", ROW)]


@pytest.mark.parametrize(("name", "content"), UNREADABLE, ids=[n for n, _ in UNREADABLE])
def test_a_file_in_a_folder_that_looks_like_data_and_cannot_be_read_errs_naming_it(tmp_path: Path, name: str,
                                                                                    content: bytes) -> None:
    folder, contract = data_dir(tmp_path, (name, content)), contract_in(tmp_path)
    before = digests(tmp_path)
    code, out, err = invoke("validate", str(contract), str(folder), "--json", str(tmp_path / "r.json"))
    assert code == 3
    assert f"{folder / name}:" in err and "--exclude" in err and "Traceback" not in out + err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "r.json").exists()
    assert digests(tmp_path) == before


def test_excluded_and_companion_files_are_listed_as_skipped_with_their_reason(tmp_path: Path) -> None:
    folder = data_dir(tmp_path, *UNREADABLE, ("README.md", b"# card"), (".gitattributes", b"*.jsonl lfs"))
    contract = contract_in(tmp_path, "  exclude: ['*.xz']\n")
    code, out, _ = invoke("validate", str(contract), str(folder), "--exclude", "part-*", "--exclude", "*.txt",
                          "--json", str(tmp_path / "r.json"))
    assert code == 0
    skipped = {Path(s["path"]).name: s["reason"]
               for s in json.loads((tmp_path / "r.json").read_text())["dataset"]["skipped_files"]}
    assert skipped == {".gitattributes": "git attributes", "README.md": "a dataset card",
                       "part-00004": "excluded by 'part-*'", "x.jsonl.xz": "excluded by '*.xz'",
                       "x.txt": "excluded by '*.txt'"}
    for name in skipped:
        assert f"skipped: {folder / name}" in out


def test_a_directory_matched_by_a_glob_is_listed_as_skipped(tmp_path: Path) -> None:
    folder = data_dir(tmp_path)
    (folder / "nested.jsonl").mkdir()
    code, out, _ = invoke("validate", str(contract_in(tmp_path)), str(folder / "*.jsonl"))
    assert code == 0 and f"skipped: {folder / 'nested.jsonl'} (a directory matched by" in out


def test_an_unreadable_data_file_is_exit_3_with_one_line_not_a_traceback(tmp_path: Path) -> None:
    folder = data_dir(tmp_path)
    (folder / "gone.jsonl").symlink_to(tmp_path / "missing.jsonl")
    code, out, err = invoke("validate", str(contract_in(tmp_path)), str(folder))
    assert code == 3 and "gone.jsonl: cannot be read (No such file or directory)" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in out + err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_a_data_file_without_read_permission_is_exit_3(tmp_path: Path) -> None:
    folder = data_dir(tmp_path, ("locked.jsonl", ROW))
    (folder / "locked.jsonl").chmod(0)
    code, _, err = invoke("validate", str(contract_in(tmp_path)), str(folder))
    assert code == 3 and "locked.jsonl: cannot be read (Permission denied)" in err


def test_a_csv_quote_that_never_closes_is_one_unreadable_record_and_the_rows_after_it_are_read(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text('prompt,response\nok,fine\n"broken,x\nc,d\ne,f\n')
    code, out, _ = invoke("validate", str(contract_in(tmp_path)), str(data), "--json", str(tmp_path / "r.json"))
    result = json.loads((tmp_path / "r.json").read_text())["dataset"]
    assert code == 1 and result["rows"] == 3
    assert [(f["line"], f["kind"]) for f in result["faults"]] == [(3, "bad_csv_row")]
    assert "d.csv:3 [bad_csv_row] a quote opened in this record is never closed" in out


@pytest.mark.parametrize("workers", ["1", pytest.param("2", marks=pytest.mark.slow)])
def test_a_type_that_changes_between_files_is_caught_with_any_number_of_workers(tmp_path: Path, workers: str) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "1.jsonl").write_bytes(ROW * 2)
    (folder / "2.jsonl").write_bytes(b'{"prompt": 7, "response": "x"}\n{"prompt": "y", "response": "z"}\n')
    done = run_cli("validate", str(contract_in(tmp_path)), str(folder), "--workers", workers,
                   "--json", str(tmp_path / "r.json"))
    result = json.loads((tmp_path / "r.json").read_text())["dataset"]
    assert done.returncode == 1, done.stderr
    assert result["fault_counts"] == {"type_mismatch": 1}
    assert [(Path(f["file"]).name, f["line"]) for f in result["faults"]] == [("2.jsonl", 1)]
    assert "field 'prompt' is number, its first value in the data is string" in result["faults"][0]["message"]


def test_a_type_that_changes_at_a_block_edge_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("traingate.data.jsonl_reader.BLOCK_BYTES", 256)
    data = tmp_path / "d.jsonl"
    listed = b'{"prompt": ["a list"], "response": "x"}\n'
    data.write_bytes(ROW * 10 + listed * 10 + ROW * 10)  # blocks of a few lines: some hold lists only
    code, _, _ = invoke("validate", str(contract_in(tmp_path)), str(data), "--workers", "1",
                        "--json", str(tmp_path / "r.json"))
    result = json.loads((tmp_path / "r.json").read_text())["dataset"]
    assert code == 1 and result["rows"] == 30
    assert [(f["line"], f["kind"]) for f in result["faults"]] == [(line, "type_mismatch") for line in range(11, 21)]


def test_a_value_of_another_type_nulls_only_its_own_row(tmp_path: Path) -> None:
    """One list among strings in a block: that value is the unreadable record; the rows around it keep
    their text (the column once became null for every row of the block, and empty_text counted them)."""
    data = tmp_path / "d.jsonl"
    data.write_bytes(b'{"prompt": "a", "response": "hello"}\n{"prompt": "b", "response": "world"}\n'
                     b'{"prompt": "c", "response": ["x"]}\n')
    contract = tmp_path / "c.yaml"
    contract.write_text("contract: t\nversion: 1.0.0\ndataset:\n  kind: sft\ngate: {max_bad_records: 5}\n"
                        "checks:\n  format:\n    - {type: empty_text, max_count: 0}\n")
    invoke("validate", str(contract), str(data), "--json", str(tmp_path / "r.json"))
    result = json.loads((tmp_path / "r.json").read_text())
    assert [(f["line"], f["kind"]) for f in result["dataset"]["faults"]] == [(3, "type_mismatch")]
    (check,) = result["checks"]
    assert check["findings"] == 1 and [s["line"] for s in check["samples"]] == [3]


def test_an_empty_dataset_never_passes(tmp_path: Path) -> None:
    data = tmp_path / "empty.jsonl"
    data.write_bytes(b"\n\n")
    code, out, _ = invoke("validate", str(contract_in(tmp_path)), str(data))
    assert code == 3 and "no rows were read" in out and "ERRORED" in out


def test_a_line_past_the_limit_is_one_unreadable_record_the_gate_errs_and_reading_is_linear(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_bytes(b'{"prompt": "' + b"a" * (12 << 20) + b'"}\n' + ROW + b"x" * (12 << 20))
    started = time.perf_counter()
    done = run_cli("validate", str(contract_in(tmp_path)), str(data), "--json", str(tmp_path / "r.json"),
                   env={"TRAINGATE_MAX_LINE_BYTES": str(1 << 20)}, timeout=60)
    assert time.perf_counter() - started < 60
    result = json.loads((tmp_path / "r.json").read_text())["dataset"]
    assert done.returncode == 3 and result["rows"] == 1, done.stderr
    assert "2 line(s) longer than TRAINGATE_MAX_LINE_BYTES were not read" in done.stdout
    assert [(f["line"], f["kind"]) for f in result["faults"]] == [(1, "line_too_long"), (3, "line_too_long")]
    assert "longer than 1,048,576 bytes" in result["faults"][0]["message"]


def test_broken_csv_quotes_among_many_clean_records_are_each_one_unreadable_record(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path reads the clean runs; each broken record is still caught at its line, whatever the block edges."""
    monkeypatch.setattr("traingate.data.csv_reader.BLOCK_BYTES", 4096)
    rows = [f'{i},"an answer, with ""quotes""\nand a second line {i}"\r\n' for i in range(3000)]
    rows[700] = '700,"a quote that closes early"and text\r\n'
    rows[2100] = '2100,"a quote that is not closed\r\n'  # the next record's quote closes it, then comes text
    data = tmp_path / "d.csv"
    data.write_bytes(("prompt,response\r\n" + "".join(rows)).encode())
    before = digests(tmp_path)
    started = time.perf_counter()
    code, out, _ = invoke("validate", str(contract_in(tmp_path)), str(data), "--json", str(tmp_path / "r.json"))
    assert time.perf_counter() - started < 60
    result = json.loads((tmp_path / "r.json").read_text())["dataset"]
    line_of = {i: 2 + "".join(rows[:i]).count("\n") for i in (700, 2100)}  # the header is line 1
    assert code == 1 and result["rows"] == 2998
    assert [(f["line"], f["kind"]) for f in result["faults"]] == [(line_of[700], "bad_csv_row"), (line_of[2100], "bad_csv_row")]
    assert f"d.csv:{line_of[2100]} [bad_csv_row] a closing quote is followed by more text" in out
    assert {k: v for k, v in digests(tmp_path).items() if k in before} == before
