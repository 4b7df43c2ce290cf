"""The two must agree: the rows `filter` drops are exactly the rows the rejects list, found again here with
plain Python (tests/engine/test_evidence.py plants a bad row or cluster for each row-level family); the
output plus the rejected rows is the input, every duplicate cluster kept once; and the output, validated with
the same contract, passes every row-level check. On one process, under a memory limit that spills, on two
workers and on Ray."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import contract_text, write_jsonl
from tests.engine.test_evidence import CHECKS, expected, workspace
from traingate.contracts import parse_contract
from traingate.engine import fold
from traingate.engine.filter import Filtered, filter_data
from traingate.engine.runner import RunOptions, validate
from traingate.validators.common.capabilities import ListsFindings

Record = dict[str, Any]
UNREADABLE = b"\n{not json\n"  # a blank line and an unreadable record after the last row of train.jsonl


def fixture(tmp_path: Path) -> tuple[Any, list[str], list[tuple[str, list[Record]]]]:
    contract, data, files = workspace(tmp_path)
    with open(files[0][0], "ab") as out:
        out.write(UNREADABLE)
    return contract, data, files


def want_rejected(files: list[tuple[str, list[Record]]]) -> set[tuple[str, int]]:
    """(file, line) of every row some check rejects, found without traingate: each finding's row, but the
    first row of a duplicate cluster; and the unreadable record."""
    rows = {(key[1], key[2]) for key, found in expected(files).items() if not found.get("first", False)}
    return rows | {(files[0][0], len(files[0][1]) + 2)}


def run_filter(tmp_path: Path, contract: Any, data: list[str], options: RunOptions | None = None,
               severity: str | None = None, out: str = "out/") -> tuple[Filtered, list[Record]]:
    records: list[Record] = []
    done = filter_data(contract, data, f"{tmp_path}/{out}", severity=severity,
                       options=options or RunOptions(workers=1), rejects=records.extend)
    return done, records


def lines_of(path: str) -> list[bytes]:
    return Path(path).read_bytes().splitlines(keepends=True)


@pytest.mark.slow  # over 2 s: out of the quick loop
def test_the_rejects_are_exactly_the_planted_rows_and_the_output_is_the_rest(tmp_path: Path) -> None:
    contract, data, files = fixture(tmp_path)
    done, records = run_filter(tmp_path, contract, data)
    want = want_rejected(files)
    assert {(r["file"], r["line"]) for r in records} == want and len(records) == len(want) == done.dropped
    assert [r.get("fault") for r in records if "fault" in r] == ["invalid_json"] and done.unreadable == 1
    for (path, rows), output in zip(files, done.outputs):
        kept = [line for n, line in enumerate(lines_of(path), 1) if (path, n) not in want and line.strip()]
        assert lines_of(output) == kept  # byte for byte, in order
        assert len(kept) + sum(1 for f, _ in want if f == path) == len(rows) + (path == files[0][0])
    assert done.kept == sum(len(lines_of(o)) for o in done.outputs) == 270 - len(want) + 1


def test_the_output_passes_every_row_level_check_of_the_contract(tmp_path: Path) -> None:
    contract, data, _ = fixture(tmp_path)
    first = validate(contract, data)
    done, _ = run_filter(tmp_path, contract, data)
    again = validate(contract, [f"train={done.outputs[0]}", f"test={done.outputs[1]}"])
    assert first.gate.verdict == "failed" and again.gate.verdict == "passed"
    assert all(c.findings == 0 and c.status == "passed" for c in again.checks), [(c.id, c.findings) for c in again.checks]
    assert again.dataset.rows == done.kept and again.dataset.faults == []


def test_every_cluster_keeps_one_row(tmp_path: Path) -> None:
    contract, data, files = fixture(tmp_path)
    done, _ = run_filter(tmp_path, contract, data)
    kept = {json.dumps(json.loads(line), sort_keys=True) for o in done.outputs for line in lines_of(o)}
    texts = {(r["prompt"], r["response"]) for _, rows in files for r in rows}
    clean = {(json.loads(k)["prompt"], json.loads(k)["response"]) for k in kept}
    assert len(clean) == len(kept)  # no two kept rows are copies
    duplicated = {(r["prompt"], r["response"]) for r in files[0][1][50:52]}  # rows 51, 52 copy row 11
    assert duplicated <= clean <= texts


@pytest.mark.slow  # over 2 s: out of the quick loop
def test_a_memory_limit_that_spills_drops_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.data import jsonl_reader

    monkeypatch.setattr(jsonl_reader, "BLOCK_BYTES", 16384)
    contract, data, files = fixture(tmp_path)
    _, baseline = run_filter(tmp_path, contract, data)
    growing = itertools.count(500.0, 10.0)
    monkeypatch.setattr(fold, "rss_mib", lambda: next(growing))
    done, records = run_filter(tmp_path, contract, data, RunOptions(workers=1, max_memory_mib=100), out="spilled/")
    assert any("to disk" in a for a in done.result.dataset.memory_actions)
    assert records == baseline and {(r["file"], r["line"]) for r in records} == want_rejected(files)
    assert [Path(o).read_bytes() for o in done.outputs] == [Path(tmp_path / "out" / Path(o).name).read_bytes()
                                                             for o in done.outputs]


WARNED = CHECKS.replace("      limit: 400\n      fields: [response]\n",
                        "      limit: 400\n      fields: [response]\n      severity: warn\n")


def test_keep_error_keeps_the_rows_only_a_warn_check_rejects(tmp_path: Path) -> None:
    _, data, files = fixture(tmp_path)
    contract = parse_contract(contract_text("sft", WARNED), str(tmp_path / "c.yaml"))
    long_rows = {(files[0][0], n) for n in (6, 78, 151)}  # max_chars rows (5, 77, 150 counted from 0)
    error, rejected = run_filter(tmp_path, contract, data)
    warn, rejected_warn = run_filter(tmp_path, contract, data, severity="warn", out="warn/")
    dropped = {(r["file"], r["line"]) for r in rejected}
    assert not dropped & long_rows and {(r["file"], r["line"]) for r in rejected_warn} == dropped | long_rows
    assert error.kept - warn.kept == 3 and error.severity == "error" and warn.severity == "warn"
    assert all(c["severity"] == "error" for r in rejected for c in r["checks"])


def test_a_keep_rule_chooses_the_row_written(tmp_path: Path) -> None:
    rows = [{"prompt": "same", "response": "a longer one", "q": 1}, {"prompt": "Same", "response": "a  longer   one", "q": 3},
            {"prompt": "same", "response": "a longer one", "q": 9}, {"prompt": "other", "response": "x", "q": None}]
    write_jsonl(tmp_path / "d.jsonl", rows)
    checks = "  uniqueness:\n    - type: exact_duplicates\n      normalize: [case, whitespace]\n      keep: {rule}\n"
    kept = {}
    for rule in ("first", "longest", "{highest: q}"):
        contract = parse_contract(contract_text("sft", checks.format(rule=rule)), str(tmp_path / "c.yaml"))
        done, _ = run_filter(tmp_path, contract, [str(tmp_path / "d.jsonl")], out=f"{len(kept)}.jsonl")
        kept[rule] = [json.loads(line) for line in lines_of(done.outputs[0])]
    assert kept == {"first": [rows[0], rows[3]], "longest": [rows[1], rows[3]], "{highest: q}": [rows[2], rows[3]]}


def test_dataset_level_and_errored_checks_are_reported(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"prompt": f"p{i}", "response": "r" * (i % 3)} for i in range(12)])
    checks = ("  format:\n    - type: empty_text\n    - type: max_chars\n      limit: 5\n      fields: [nothing]\n"
              "  quantity:\n    - type: min_rows\n      min: 100\n")
    contract = parse_contract(contract_text("sft", checks), str(tmp_path / "c.yaml"))
    done, records = run_filter(tmp_path, contract, [str(tmp_path / "d.jsonl")])
    assert [(c.id, c.status) for c in done.unfixed] == [("quantity.min_rows", "failed")]
    assert [c.id for c in done.unfiltered] == ["format.max_chars"]  # its field is in no row: it errs
    assert done.kept == 8 and done.dropped == len(records) == 4  # the empty responses
    assert {c["check"] for r in records for c in r["checks"]} == {"format.empty_text"}


def test_unknown_outputs_are_refused_before_reading(tmp_path: Path) -> None:
    from traingate.errors import UsageError

    contract, data, _ = workspace(tmp_path)
    with pytest.raises(UsageError, match="write to a folder"):
        filter_data(contract, data, str(tmp_path / "clean.parquet"))


def _same_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: RunOptions) -> None:
    from traingate.engine import shards

    monkeypatch.setattr(shards, "MIN_SHARD_BYTES", 1)
    contract, data, files = fixture(tmp_path)
    _, one = run_filter(tmp_path, contract, data)
    done, records = run_filter(tmp_path, contract, data, options, out="sharded/")
    assert done.result.dataset.shards >= 4 and records == one
    assert {(r["file"], r["line"]) for r in records} == want_rejected(files)
    assert [Path(o).read_bytes() for o in done.outputs] == [(tmp_path / "out" / Path(o).name).read_bytes()
                                                             for o in done.outputs]
    again = validate(contract, [f"train={done.outputs[0]}", f"test={done.outputs[1]}"], options=options)
    assert all(c.findings == 0 for c in again.checks) and again.gate.verdict == "passed"


@pytest.mark.slow  # starts worker processes
def test_two_workers_drop_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _same_on(tmp_path, monkeypatch, RunOptions(workers=2))


@pytest.mark.slow  # starts Ray
def test_ray_drops_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ray")
    _same_on(tmp_path, monkeypatch, RunOptions(workers=2, engine="ray"))


def test_row_level_checks_are_the_ones_that_list_rows(tmp_path: Path) -> None:
    contract, data, _ = workspace(tmp_path)
    done, _ = run_filter(tmp_path, contract, data)
    from traingate.engine.fold import build_validators
    from traingate.engine.runner import check_ids

    listing = {v.check_id for v in build_validators(contract, check_ids(contract), True) if isinstance(v, ListsFindings)}
    assert listing == {c.id for c in done.result.checks} and done.unfixed == []
