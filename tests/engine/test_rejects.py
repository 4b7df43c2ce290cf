"""`validate --rejects` and `--clusters`: every row a row-level check rejects, one record per row, and every row of
every duplicate cluster. The fixture of the evidence tests plants known bad rows of every family; what each check
should find is computed there in plain Python (`expected`), and the rows rejected follow from it here: every
finding's row but the one row each group of duplicates keeps, for the checks at or above the severity asked. Unreadable records
are planted past the 50 the run JSON samples. Compared on one process, two workers, Ray, and with the findings
written to disk."""

from __future__ import annotations

import itertools
import json
import os
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import contract_text
from tests.engine.test_evidence import CHECKS, expected, workspace
from traingate.contracts import parse_contract
from traingate.data.lookup import LINE_BITS
from traingate.data.spill import SPILL_DIR_ENV, Rows, run_spill_dir
from traingate.engine import faults as faults_module
from traingate.engine import fold
from traingate.engine.rejects import Finished
from traingate.engine.runner import RunOptions, validate
from traingate.results import RunResult
from traingate.validators.common import findings as findings_module
from traingate.validators.common import row_order
from traingate.validators.common.findings import Findings

Record = dict[str, Any]
RANK = {"info": 0, "warn": 1, "error": 2}
Rejects = dict[tuple[str, int], set[tuple[Any, ...]]]  # (file, line) -> (check, reason, field[, cluster])


def collect(contract: Any, data: list[str], options: RunOptions | None = None, severities: tuple[str, ...] = ("error",),
            values: bool = False) -> tuple[RunResult, dict[str, Any]]:
    """The run's rejected rows at each severity, its rejected row ids and its clusters, read while the run
    still holds its findings (and whether its spill folder held files then)."""
    got: dict[str, Any] = {}

    def take(run: Finished) -> None:
        for severity in severities:
            got[severity] = list(run.rejected_rows(severity, values))
        got["ids"] = run.rejected_ids(severities[0])
        got["paths"] = run.paths
        got["clusters"] = list(run.clusters())
        got["spilled"] = sorted(os.listdir(os.environ[SPILL_DIR_ENV]))

    result = validate(contract, data, options=options or RunOptions(workers=1), finished=take)
    return result, got


def want_rejects(files: list[tuple[str, list[Record]]], severity_of: dict[str, str], lowest: str) -> Rejects:
    """Every finding's row of the checks at `lowest` or above, but the one row each group of duplicates keeps:
    the clusters of every such duplicate check joined where they share a row, and kept per group the first
    of the checks' own first rows (contract order), then the group's rows in data order, that no other
    check rejects."""
    order = {path: k for k, (path, _) in enumerate(files)}
    checks = [c for c in severity_of if RANK[severity_of[c]] >= RANK[lowest]]
    found = {key: numbers for key, numbers in expected(files).items() if key[0] in checks}
    others = {(path, line) for (check, path, line, *_), numbers in found.items() if "cluster" not in numbers}
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def root(row: tuple[str, int]) -> tuple[str, int]:
        while parent.setdefault(row, row) != row:
            row = parent[row]
        return row
    heads: dict[tuple[str, int], tuple[str, int]] = {}
    for (check, path, line, *_), numbers in found.items():
        if "cluster" in numbers:
            head = heads.setdefault((check, numbers["cluster"]), (path, line))
            parent[root((path, line))] = root(head)
    firsts = [(path, line) for c in checks for (check, path, line, *_), n in found.items() if check == c and n.get("first")]
    groups: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
    for row in parent:
        groups[root(row)].append(row)
    survivors = set()
    for rows in groups.values():
        ranked = sorted(rows, key=lambda r: (firsts.index(r) if r in firsts else len(firsts), order[r[0]], r[1]))
        survivors.update([r for r in ranked if r not in others][:1])
    out: Rejects = defaultdict(set)
    for key, numbers in found.items():
        check, path, line, reason = key[:4]
        if "cluster" in numbers and (path, line) in survivors:
            continue
        cluster = (numbers["cluster"],) if "cluster" in numbers else ()
        out[(path, line)].add((check, reason, numbers.get("field"), *cluster))
    return dict(out)


def got_rejects(records: list[Record]) -> Rejects:
    out: Rejects = {}
    for r in records:
        assert (r["file"], r["line"]) not in out, f"listed twice: {r['file']}:{r['line']}"
        assert all(c.get("kept") is False for c in r["checks"] if "cluster" in c)
        out[(r["file"], r["line"])] = {(c["check"], c["reason"], c.get("field"),
                                        *((c["cluster"],) if "cluster" in c else ())) for c in r["checks"]}
    return out


def in_data_order(records: list[Record], paths: list[str]) -> bool:
    keys = [(paths.index(r["file"]), r["line"]) for r in records]
    return keys == sorted(keys)


@pytest.mark.slow  # over 2 s: out of the quick loop
def test_rejects_list_exactly_the_rows_each_family_finds(tmp_path: Path) -> None:
    contract, data, files = workspace(tmp_path)
    result, got = collect(contract, data)
    severity_of = {c.id: c.severity for c in result.checks}
    want = want_rejects(files, severity_of, "error")
    listed = got_rejects(got["error"])
    assert listed == want
    families = {entry[0] for entries in want.values() for entry in entries}
    assert families == {c.id for c in result.checks}  # every family rejects some row
    assert in_data_order(got["error"], got["paths"])
    ids = [(got["paths"].index(f) << LINE_BITS) | line for f, line in listed]
    assert got["ids"].dtype == np.uint64 and got["ids"].tolist() == sorted(ids)
    duplicates = sum(c.findings for c in result.checks if c.type == "exact_duplicates")
    assert sum(1 for entries in want.values() for e in entries if e[0] == "uniqueness.exact_duplicates") == duplicates


def test_severity_chooses_the_checks_that_reject(tmp_path: Path) -> None:
    contract, data, files = workspace(tmp_path)
    graded = CHECKS.replace("      limit: 400\n", "      limit: 400\n      severity: warn\n").replace(
        "      kwargs: {column: score, min_value: 0, max_value: 1}\n",
        "      kwargs: {column: score, min_value: 0, max_value: 1}\n      severity: info\n")
    contract = parse_contract(contract_text("sft", graded), str(tmp_path / "c.yaml"))
    result, got = collect(contract, data, severities=("error", "warn", "info"))
    severity_of = {c.id: c.severity for c in result.checks}
    assert severity_of["format.max_chars"] == "warn" and severity_of["format.expectation"] == "info"
    for lowest in ("error", "warn", "info"):
        assert got_rejects(got[lowest]) == want_rejects(files, severity_of, lowest), lowest
    error_checks = {c[0] for entries in got_rejects(got["error"]).values() for c in entries}
    assert "format.max_chars" not in error_checks and "format.expectation" not in error_checks
    assert len(got["warn"]) > len(got["error"]) and len(got["info"]) > len(got["warn"])


def test_clusters_list_every_row_of_every_duplicate_cluster(tmp_path: Path) -> None:
    contract, data, files = workspace(tmp_path)
    _, got = collect(contract, data)
    want = {(check, path, line): (numbers["cluster"], numbers["first"]) for (check, path, line, *_), numbers
            in expected(files).items() if "cluster" in numbers}
    listed = {(r["check"], r["file"], r["line"]): (r["cluster"], r["kept"]) for r in got["clusters"]}
    assert len(listed) == len(got["clusters"]) and listed == want
    assert {r["check"] for r in got["clusters"]} == {"uniqueness.exact_duplicates", "uniqueness.near_duplicates"}
    assert all(r["similarity"] == 1.0 for r in got["clusters"] if r["check"] == "uniqueness.exact_duplicates")
    kept = {(r["file"], r["line"]) for r in got["clusters"] if r["kept"]}
    assert not kept & {(r["file"], r["line"]) for r in got["error"]
                       if {c["check"] for c in r["checks"]} <= {"uniqueness.exact_duplicates"}}


BAD_LINES = 70  # more than the run JSON's 50 samples
MISMATCHED = 60


def faulty(tmp_path: Path) -> tuple[Any, list[str], dict[int, str]]:
    """A file with invalid JSON lines and rows whose score is a text where the first is a number."""
    rng = random.Random(5)
    lines, kinds = [], {}
    for line in range(1, 601):
        row = {"prompt": f"p {line}", "response": f"r {line} " + "x" * rng.randrange(5), "score": 0.5}
        if line % 7 == 3 and sum(k == "invalid_json" for k in kinds.values()) < BAD_LINES:
            lines.append('{"prompt": "cut')
            kinds[line] = "invalid_json"
            continue
        if line % 9 == 4 and sum(k == "type_mismatch" for k in kinds.values()) < MISMATCHED:
            row["score"], kinds[line] = "high", "type_mismatch"
        lines.append(json.dumps(row))
    (tmp_path / "f.jsonl").write_text("\n".join(lines) + "\n")
    checks = "  format:\n    - type: schema\n      columns:\n        score: {dtype: float}\n"
    contract = parse_contract(contract_text("sft", checks), str(tmp_path / "c.yaml"))
    return contract, [str(tmp_path / "f.jsonl")], kinds


def test_every_unreadable_record_is_listed_with_its_fault(tmp_path: Path) -> None:
    contract, data, kinds = faulty(tmp_path)
    result, got = collect(contract, data)
    assert sum(k == "invalid_json" for k in kinds.values()) == BAD_LINES
    assert len(result.dataset.faults) == 50 and sum(result.dataset.fault_counts.values()) == len(kinds)
    listed = {r["line"]: r.get("fault") for r in got["error"]}
    assert {line: kind for line, kind in listed.items() if kind} == kinds
    mismatched = [r for r in got["error"] if r.get("fault") == "type_mismatch"]
    null_score = [{"check": "format.schema", "severity": "error", "reason": "null:score"}]
    assert len(mismatched) == sum(k == "type_mismatch" for k in kinds.values()) > 50
    assert all(r["checks"] == null_score for r in mismatched)
    assert all(r["checks"] == [] for r in got["error"] if r.get("fault") == "invalid_json")
    assert set(listed) == set(kinds)  # nothing else is at fault


def test_findings_spill_on_their_own_and_come_back_in_row_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(findings_module, "MEMORY_BOUND", 50)
    monkeypatch.setattr(row_order, "BLOCK", 16)  # a row's findings fall across blocks of a file
    rng = np.random.default_rng(3)
    found = Findings((("value", "float"),))
    found.note_file(0, "a.jsonl", "line")
    added = []
    with run_spill_dir(True):
        for batch in range(20):  # batches in data order, reasons interleaved within a batch, as checks add them
            rows = np.sort(rng.choice(np.arange(batch * 100, batch * 100 + 100), 30, replace=False)).astype(np.uint64)
            for reason in ("b_reason", "a_reason"):
                picked = rows[rng.random(30) < 0.6]
                found.add(picked, reason, "text", value=picked.astype(np.float64))
                added += [(int(r), reason) for r in picked]
        assert len(found.rows.disk) >= 5 and sum(len(t) for t in found.rows.memory) <= 50
        records = list(found.records())
    assert [(r["line"], r["reason"]) for r in records] == sorted(added)
    assert all(r["value"] == r["line"] for r in records)


def test_row_order_merges_sorted_runs_without_splitting_a_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(row_order, "BLOCK", 7)
    rng = np.random.default_rng(11)
    rows, entries = Rows(), []
    with run_spill_dir(True):
        for run in range(6):
            ids = np.sort(rng.integers(0, 60, 40)).astype(np.uint64)  # a row repeats, within and across runs
            table = np.column_stack([ids, np.full(40, run, np.uint64), np.arange(40, dtype=np.uint64)])
            entries += [tuple(t) for t in table.tolist()]
            rows.add(table[rng.permutation(40)])
            rows.memory = row_order.sort_rows(rows.memory)
            if run < 4:
                rows.spill()
        blocks = list(row_order.in_row_order(rows))
    merged = np.concatenate(blocks)
    assert sorted(map(tuple, merged.tolist())) == sorted(entries)
    assert (np.diff(merged[:, 0].astype(np.int64)) >= 0).all()
    firsts = [int(b[0, 0]) for b in blocks[1:]]
    lasts = [int(b[-1, 0]) for b in blocks[:-1]]
    assert all(last < first for last, first in zip(lasts, firsts))  # no row in two blocks


@pytest.mark.slow  # over 2 s: out of the quick loop
def test_written_to_disk_they_list_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.data import jsonl_reader

    monkeypatch.setattr(jsonl_reader, "BLOCK_BYTES", 16384)  # several chunks: findings go to disk between them
    contract, data, _ = workspace(tmp_path)
    _, baseline = collect(contract, data)
    monkeypatch.setattr(findings_module, "MEMORY_BOUND", 1)
    monkeypatch.setattr(row_order, "BLOCK", 4)
    _, bounded = collect(contract, data)
    assert len(bounded["spilled"]) >= 8  # on their own, past the bound
    growing = itertools.count(500.0, 10.0)  # and over the memory limit, after every chunk
    monkeypatch.setattr(fold, "rss_mib", lambda: next(growing))
    spilled, limited = collect(contract, data, RunOptions(workers=1, max_memory_mib=100))
    assert any("findings to disk" in a for a in spilled.dataset.memory_actions)
    for got in (bounded, limited):
        assert got["error"] == baseline["error"] and got["clusters"] == baseline["clusters"]
        assert got["ids"].tolist() == baseline["ids"].tolist()


def test_unreadable_records_written_to_disk_come_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.data import jsonl_reader

    monkeypatch.setattr(jsonl_reader, "BLOCK_BYTES", 2048)  # a chunk's faults at a time
    contract, data, kinds = faulty(tmp_path)
    monkeypatch.setattr(faults_module, "MEMORY_BOUND", 5)
    monkeypatch.setattr(row_order, "BLOCK", 4)
    _, got = collect(contract, data)
    assert len(got["spilled"]) >= 4
    assert {r["line"]: r["fault"] for r in got["error"] if "fault" in r} == kinds


def test_the_api_writes_rejects_with_the_data_masked(tmp_path: Path) -> None:
    import traingate

    (tmp_path / "c.yaml").write_text(contract_text("sft", CHECKS))
    _, data, files = workspace(tmp_path)
    result = traingate.validate(tmp_path / "c.yaml", data, rejects=tmp_path / "r.jsonl", rejects_with_data=True,
                                clusters=tmp_path / "k.jsonl")
    text = (tmp_path / "r.jsonl").read_text()
    records = [json.loads(line) for line in text.splitlines()]
    assert result.gate.verdict == "failed" and "ann@acme.com" not in text and "<EMAIL_ADDRESS>" in text
    rows = {(path, line): row for path, table in files for line, row in enumerate(table, 1)}
    severity_of = {c.id: c.severity for c in result.checks}
    assert got_rejects(records) == want_rejects(files, severity_of, "error")
    for r in records:
        row = rows[(r["file"], r["line"])]
        masked = {**row, "response": row["response"].replace("ann@acme.com", "<EMAIL_ADDRESS>")}
        assert r["data"] == masked
    assert len((tmp_path / "k.jsonl").read_text().splitlines()) == len(
        [k for k, n in expected(files).items() if "cluster" in n])


def test_parquet_holds_what_json_lines_hold(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    import traingate

    (tmp_path / "c.yaml").write_text(contract_text("sft", CHECKS))
    _, data, _ = workspace(tmp_path)
    traingate.validate(tmp_path / "c.yaml", data, rejects=tmp_path / "r.jsonl", clusters=tmp_path / "k.jsonl")
    traingate.validate(tmp_path / "c.yaml", data, rejects=tmp_path / "r.parquet", clusters=tmp_path / "k.parquet")
    for name in ("r", "k"):
        lines = [json.loads(line) for line in (tmp_path / f"{name}.jsonl").read_text().splitlines()]
        table = pq.read_table(tmp_path / f"{name}.parquet").to_pylist()
        assert [_present(r) for r in table] == lines and lines


def _present(value: Any) -> Any:
    """A Parquet record as JSON lines hold it: the fields a record does not have are null there."""
    if isinstance(value, dict):
        return {k: _present(v) for k, v in value.items() if v is not None}
    return [_present(v) for v in value] if isinstance(value, list) else value


def test_a_file_that_cannot_be_written_errs_the_gate(tmp_path: Path) -> None:
    import traingate

    (tmp_path / "c.yaml").write_text(contract_text("sft", CHECKS))
    _, data, _ = workspace(tmp_path)
    (tmp_path / "dir").mkdir()
    for kwargs in ({"rejects": tmp_path / "dir"}, {"clusters": tmp_path / "dir.parquet"}):
        if "clusters" in kwargs:
            (tmp_path / "dir.parquet").mkdir()
        failed = traingate.validate(tmp_path / "c.yaml", data, **kwargs)
        assert failed.gate.verdict == "errored" and failed.gate.exit_code == 3
        assert "could not be written" in failed.gate.reasons[-1]
    with pytest.raises(traingate.UsageError, match="rejects_with_data"):
        traingate.validate(tmp_path / "c.yaml", data, rejects_with_data=True)


def test_the_command_writes_rejects_and_refuses_data_without_them(tmp_path: Path) -> None:
    from tests.cli.test_cli import invoke

    (tmp_path / "c.yaml").write_text(contract_text("sft", CHECKS))
    _, data, files = workspace(tmp_path)
    code, output = invoke("validate", str(tmp_path / "c.yaml"), *data, "--rejects-with-data")
    assert code == 2 and "--rejects" in output
    code, _ = invoke("validate", str(tmp_path / "c.yaml"), *data, "--rejects", str(tmp_path / "r.jsonl"))
    records = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    from traingate.engine.runner import check_ids

    contract = parse_contract(contract_text("sft", CHECKS), str(tmp_path / "c.yaml"))
    every_error = dict.fromkeys(check_ids(contract), "error")  # the contract's checks, all of severity error
    assert code == 1 and got_rejects(records) == want_rejects(files, every_error, "error")
    assert all("data" not in r for r in records) and {r["file"] for r in records} == {p for p, _ in files}


@pytest.mark.slow  # starts worker processes
def test_two_workers_reject_what_one_process_rejects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.engine import shards

    monkeypatch.setattr(shards, "MIN_SHARD_BYTES", 1)
    contract, data, files = workspace(tmp_path)
    _, one = collect(contract, data)
    two_result, two = collect(contract, data, RunOptions(workers=2))
    assert two_result.dataset.shards >= 4
    assert two["error"] == one["error"] and two["clusters"] == one["clusters"]
    assert got_rejects(two["error"]) == want_rejects(files, {c.id: c.severity for c in two_result.checks}, "error")
    _, tiny = collect(contract, data, RunOptions(workers=2, max_memory_mib=1))  # every worker always over
    assert tiny["error"] == one["error"] and tiny["ids"].tolist() == one["ids"].tolist()
    faults_contract, faults_data, kinds = faulty(tmp_path)
    result, got = collect(faults_contract, faults_data, RunOptions(workers=2))
    assert result.dataset.shards >= 2 and {r["line"]: r["fault"] for r in got["error"] if "fault" in r} == kinds


@pytest.mark.slow  # starts Ray
def test_ray_rejects_what_one_process_rejects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ray")
    from traingate.engine import shards

    monkeypatch.setattr(shards, "MIN_SHARD_BYTES", 1)
    monkeypatch.setattr(findings_module, "MEMORY_BOUND", 3)  # tasks write findings to disk and take them back
    contract, data, _ = workspace(tmp_path)
    _, one = collect(contract, data)
    _, on_ray = collect(contract, data, RunOptions(workers=2, engine="ray", max_memory_mib=1))
    assert on_ray["error"] == one["error"] and on_ray["clusters"] == one["clusters"]
    faults_contract, faults_data, kinds = faulty(tmp_path)
    _, got = collect(faults_contract, faults_data, RunOptions(workers=2, engine="ray"))
    assert {r["line"]: r["fault"] for r in got["error"] if "fault" in r} == kinds
