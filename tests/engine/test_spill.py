"""Checks that spill under --max-memory (near duplicates and split leakage, whose rows must all meet each
other; exact duplicates and schema `unique`, which group equal keys part by part; pii, whose findings are
evidence) give the same result as a run that kept everything in memory, in one process, across workers
and on Ray."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import contract_text
from tests.engine.test_executors import _comparable, small_shards  # noqa: F401  (fixture)
from tests.validators.test_merge_law import _rows
from traingate.contracts import parse_contract
from traingate.data import spill
from traingate.data.spill import Rows
from traingate.engine import fold
from traingate.engine.runner import RunOptions, validate

PAIRS = ("  uniqueness:\n    - type: near_duplicates\n      threshold: 0.5\n      size: 2\n"
         "    - type: split_leakage\n      threshold: 0.5\n    - type: exact_duplicates\n"
         "  compliance:\n    - type: pii\n      recognizers: patterns\n"
         "  format:\n    - type: schema\n      columns: {id: {unique: true}}\n")


def test_rows_read_back_column_by_column_and_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(spill.SPILL_DIR_ENV, str(tmp_path))
    rows, whole = Rows(), []
    for start in (0, 5, 9):
        table = np.arange(start * 3, start * 3 + 12, dtype=np.uint64).reshape(4, 3)
        rows.add(table)
        whole.append(table)
        if start == 5:
            assert rows.spill() == 8 and rows.spill() == 0 and len(list(tmp_path.iterdir())) == 1
    expected = np.concatenate([whole[2], whole[0], whole[1]])  # in memory first, then the file
    assert len(rows) == 12 and rows.width() == 3
    assert all(np.array_equal(rows.column(j), expected[:, j]) for j in range(3))
    again = pickle.loads(pickle.dumps(rows))  # a worker hands back the file's path, not its rows
    assert again.disk == rows.disk and np.array_equal(again.column(1), expected[:, 1])
    again.load()  # as a state leaving a node of a Ray cluster
    assert not again.disk and not list(tmp_path.iterdir()) and np.array_equal(again.column(1), expected[:, 1])
    assert np.array_equal(again.table(), expected)


def test_partitioned_rows_come_back_part_by_part_with_equal_keys_together(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.validators.common.partitioned import PARTS, Partitioned

    monkeypatch.setenv(spill.SPILL_DIR_ENV, str(tmp_path))
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 2**64, 50, dtype=np.uint64)[rng.integers(0, 50, 600)]  # 600 rows, 50 keys
    rows = np.column_stack([np.arange(600, dtype=np.uint64), keys])
    left, right = Partitioned(by=1), Partitioned(by=1)
    for start in range(0, 300, 100):
        left.add(rows[start: start + 100])
        if start < 200:
            assert left.spill() == 100
    right.add(rows[300:])  # the other worker never spilled
    merged = left.merge(right)
    assert len(merged) == 600 and PARTS < len(list(tmp_path.iterdir())) <= 2 * PARTS  # a file per part and spill
    parts = list(merged.tables(2))
    assert len(parts) == PARTS and sum(len(p) for p in parts) == 600
    assert sorted(np.concatenate(parts)[:, 0].tolist()) == list(range(600))
    owner = {int(k): i for i, p in enumerate(parts) for k in p[:, 1]}
    assert all(owner[int(k)] == i for i, p in enumerate(parts) for k in p[:, 1])  # a key lives in one part
    assert len(list(merged.tables(2))) == PARTS  # reading leaves the files for a second look
    merged.load()
    assert not merged.parts and not list(tmp_path.iterdir())
    assert sorted(np.concatenate(list(merged.tables(2)))[:, 0].tolist()) == list(range(600))


GROUPING = {"exact duplicates": ("sft", "  uniqueness:\n    - type: exact_duplicates\n"),
            "schema unique": ("sft", "  format:\n    - type: schema\n      columns: {id: {unique: true}}\n"),
            "conflicting labels": ("reward", "  consistency:\n    - type: conflicting_labels\n      tolerance: 2\n"),
            "preference consistency": ("preference", "  consistency:\n    - type: preference_consistency\n"),
            "pii": ("chat", "  compliance:\n    - type: pii\n      recognizers: patterns\n")}


@pytest.mark.parametrize("case", list(GROUPING))
def test_a_check_that_spilled_finishes_as_if_it_had_not(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Spilled after some batches, on one side of a merge only, or never: the same result."""
    from tests.validators.test_merge_law import CASES, KIND_OF, _contexts
    from traingate.engine.runner import check_ids
    from traingate.validators import build
    from traingate.validators.common.capabilities import SpillsRows

    monkeypatch.setenv(spill.SPILL_DIR_ENV, str(tmp_path))
    monkeypatch.setitem(KIND_OF, "spilled", GROUPING[case][0])
    monkeypatch.setitem(CASES, "spilled", GROUPING[case][1])
    contract, batches = _contexts("spilled", [30, 60, 90])
    v = build(contract.all_checks()[0], contract.dataset, check_ids(contract)[0])
    assert isinstance(v, SpillsRows)
    whole, spilled, left, right = (v.create_state() for _ in range(4))
    for i, batch in enumerate(batches):
        whole, spilled = v.add_batch(whole, batch), v.add_batch(spilled, batch)
        if i in (0, 2):
            spilled, written = v.spill(spilled)
            assert written > 0
        if i < 2:
            left = v.add_batch(left, batch)
        else:
            right = v.add_batch(right, batch)
    left, written = v.spill(left)
    assert written > 0 and list(tmp_path.iterdir())
    expected = v.finalize(whole).model_dump()
    assert expected["findings"] > 0
    assert v.finalize(spilled).model_dump() == expected == v.finalize(v.merge_states(left, right)).model_dump()


def _run(tmp_path: Path, options: RunOptions) -> dict[str, Any]:
    from tests.conftest import write_jsonl

    contract = parse_contract(contract_text("sft", PAIRS), str(tmp_path / "c.yaml"))
    rows = _rows("sft", 400)
    write_jsonl(tmp_path / "d.jsonl", rows)
    write_jsonl(tmp_path / "e.jsonl", rows[:50])
    result = validate(contract, [f"train={tmp_path / 'd.jsonl'}", f"test={tmp_path / 'e.jsonl'}"], options=options)
    assert all(check.findings for check in result.checks)
    assert len(next(c for c in result.checks if c.type == "pii").details["evidence"]) > 10
    return _comparable(result)


def _spill_actions(spilled: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """The run's memory actions, after checking each wrote keys to disk, reading went to the end and the
    result is otherwise the in-memory one."""
    actions: list[str] = spilled["dataset"].pop("memory_actions")
    written = ("rows' keys to disk", "findings to disk", "values' hashes to disk")
    assert actions and all(sum(w in a for w in written) == 1 for a in actions), actions
    assert all(any(w in a for a in actions) for w in written), actions
    assert spilled["dataset"].pop("stopped_early") is None
    baseline["dataset"].pop("memory_actions")
    baseline["dataset"].pop("stopped_early")
    assert spilled == baseline
    return actions


def test_spilled_keys_give_the_in_memory_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.data import jsonl_reader

    monkeypatch.setattr(jsonl_reader, "BLOCK_BYTES", 4096)  # several chunks
    baseline = _run(tmp_path, RunOptions(workers=1))
    readings = iter([500.0, 400.0, 500.0])  # over the limit, still over after letting go, grown again; then under
    monkeypatch.setattr(fold, "rss_mib", lambda: next(readings, 10.0))
    spilled = _run(tmp_path, RunOptions(workers=1, max_memory_mib=100))
    assert len(_spill_actions(spilled, baseline)) == 10  # five checks, twice
    assert spill.SPILL_DIR_ENV not in os.environ


def test_memory_the_checks_do_not_hold_is_not_written_out_chunk_by_chunk(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Resident memory stays over the limit (the process itself needs it): the checks write out what they
    hold once, and again only when memory grows by 5% of the limit; the run goes to the end."""
    from traingate.data import jsonl_reader

    monkeypatch.setattr(jsonl_reader, "BLOCK_BYTES", 4096)  # several chunks
    baseline = _run(tmp_path, RunOptions(workers=1))
    monkeypatch.setattr(fold, "rss_mib", lambda: 500.0)
    spilled = _run(tmp_path, RunOptions(workers=1, max_memory_mib=100))
    assert len(_spill_actions(spilled, baseline)) == 5  # five checks, once


@pytest.mark.slow
def test_workers_spill_and_the_driver_reads_their_files(tmp_path: Path, small_shards: None) -> None:  # noqa: F811
    baseline = _run(tmp_path, RunOptions(workers=1))
    spilled = _run(tmp_path, RunOptions(workers=2, max_memory_mib=1))  # every worker is always over 1 MiB
    _spill_actions(spilled, baseline)


@pytest.mark.slow
def test_ray_tasks_spill_and_take_their_keys_back_before_the_shuffle(tmp_path: Path, small_shards: None) -> None:  # noqa: F811
    pytest.importorskip("ray")
    baseline = _run(tmp_path, RunOptions(workers=1))
    spilled = _run(tmp_path, RunOptions(workers=2, engine="ray", max_memory_mib=1))
    _spill_actions(spilled, baseline)


@pytest.fixture
def full_disk(tmp_path: Path) -> Any:
    """A 64 KiB tmpfs (it fills up at once); skips where mounting is not allowed."""
    import subprocess

    where = tmp_path / "full"
    where.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(where)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_spill_that_fills_the_disk_is_a_spill_error_and_leaves_no_file(full_disk: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that cannot grow was a memory map that killed the process with SIGBUS; now an error naming the
    folder and TMPDIR, the half-written file removed, the rows still held."""
    monkeypatch.setenv(spill.SPILL_DIR_ENV, str(full_disk))
    rows = Rows()
    rows.add(np.arange(3 * 20_000, dtype=np.uint64).reshape(20_000, 3))  # 480 KB
    with pytest.raises(spill.SpillError, match=f"spill folder {full_disk}: No space left on device; .*TMPDIR"):
        rows.spill()
    assert not list(full_disk.iterdir()) and len(rows) == 20_000 and not rows.disk


@pytest.mark.parametrize("workers", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_a_full_spill_disk_ends_the_run_on_every_local_engine(tmp_path: Path, full_disk: Path, workers: int,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              small_shards: None) -> None:  # noqa: F811
    """The run raises the SpillError (a full disk is not retried as a failed shard) and its folder goes."""
    import tempfile

    from tests.conftest import write_jsonl

    monkeypatch.setattr(tempfile, "tempdir", str(full_disk))  # where the run makes its spill folder
    contract = parse_contract(contract_text("sft", "  uniqueness:\n    - type: exact_duplicates\n"), str(tmp_path / "c.yaml"))
    rows = _rows("sft", 12000)  # the first spill (one file's keys) alone overfills the 64 KiB disk
    data = [str(write_jsonl(tmp_path / f"d{i}.jsonl", rows[i::2])) for i in range(2)]
    with pytest.raises(spill.SpillError, match=f"{full_disk}/traingate-spill-{os.getpid()}-"):
        validate(contract, data, options=RunOptions(workers=workers, max_memory_mib=1))
    assert not list(full_disk.iterdir()) and spill.SPILL_DIR_ENV not in os.environ


def test_the_folders_of_drivers_that_no_longer_run_are_swept(tmp_path: Path) -> None:
    import subprocess
    import sys

    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True).stdout)
    stale, live, elsewhere, other = (tmp_path / f"traingate-spill-{dead}-{spill.HOST}-abcd1234",
                                     tmp_path / f"traingate-spill-{os.getpid()}-{spill.HOST}-abcd1234",
                                     tmp_path / f"traingate-spill-{dead}-{spill.HOST}x-abcd1234",  # another host's
                                     tmp_path / "traingate-spill-abc")
    for folder in (stale, live, elsewhere, other):
        folder.mkdir()
        (folder / "a.npy").write_bytes(b"x")
    assert spill.sweep_stale(str(tmp_path)) == [str(stale)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, elsewhere.name, other.name])
