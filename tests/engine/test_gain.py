"""--workers and --engine ray chosen for data too small to gain from them: the run says so and what starting
them cost, in the result and on the terminal, and nothing else about the run changes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from tests.conftest import contract_text, write_jsonl
from tests.engine.test_executors import _comparable, small_shards  # noqa: F401  (fixture)
from traingate.contracts import parse_contract
from traingate.engine.dispatch import RunOptions, Spread
from traingate.engine.gain import RAY_PAYS_BYTES, WORKERS_PAY_BYTES, spread_warnings
from traingate.engine.runner import validate
from traingate.reports.terminal import render_terminal

CHECKS = "  format:\n    - {type: empty_text, max_rate: 0.0}\n  uniqueness:\n    - {type: exact_duplicates, max_rate: 0.0}\n"


def _run(tmp_path: Path, options: RunOptions) -> Any:
    contract = parse_contract(contract_text("pretraining", CHECKS), str(tmp_path / "c.yaml"))
    rows = [{"text": f"row {i} " + "word " * (i % 7)} for i in range(300)] + [{"text": ""}, {"text": "row 3 "}]
    return validate(contract, [str(write_jsonl(tmp_path / "d.jsonl", rows))], options=options)


def test_workers_on_small_data_say_what_starting_them_cost() -> None:
    spread = Spread(data_bytes=3_000_000, workers=2, shards=4, start_seconds=1.25)
    said = spread_warnings(RunOptions(workers=2), spread, read_seconds=2.5, ray_start=None)
    assert len(said) == 1 and said[0].startswith("--workers 2 on 3.0 MB: worker processes took longer than one "
                                                 "process on data under 128.0 MB")
    assert "starting them took 1.2 s of the 2.5 s of reading and checking" in said[0]


def test_workers_on_one_shard_say_the_data_was_read_here() -> None:
    started = Spread(data_bytes=40_000_000, workers=2, shards=0, start_seconds=0.4, one_shard=True)
    said = spread_warnings(RunOptions(workers=2), started, read_seconds=0.6, ray_start=None)
    assert said == ["--workers 2 on 40.0 MB: the data is one shard, so it was read in this process; waiting for "
                    "the 2 worker processes started for it took 0.4 s. Data this small reads faster without --workers."]
    none = spread_warnings(RunOptions(workers=3), Spread(2_000, 0, 0, one_shard=True), 0.6, None)
    assert none == ["--workers 3 on 2.0 kB: the data is one shard, so it was read in this process (no worker "
                    "process was started)."]


def test_ray_on_small_data_says_what_starting_it_cost() -> None:
    spread = Spread(data_bytes=RAY_PAYS_BYTES - 1, workers=0, shards=4)
    said = spread_warnings(RunOptions(engine="ray"), spread, read_seconds=9.0, ray_start=4.5)
    assert len(said) == 1 and "starting it took 4.5 s of the 9.0 s of reading and checking" in said[0]


@pytest.mark.parametrize(("options", "spread", "ray_start"), [
    (RunOptions(workers=2), Spread(WORKERS_PAY_BYTES, 2, 8, 1.0), None),  # large enough to gain
    (RunOptions(engine="ray"), Spread(RAY_PAYS_BYTES, 0, 8), 4.0),
    (RunOptions(engine="ray", address="auto"), Spread(10, 0, 1), 0.1),  # a cluster: not measured here
    (RunOptions(workers=2, limit=10), Spread(10, 0, 0), None),  # --limit reads a prefix in this process
    (RunOptions(workers=0), Spread(10, 0, 0), None),  # the default: one process below the size it pays
    (RunOptions(workers=0), Spread(600 << 20, 2, 0, 0.3, one_shard=True), None),  # a large compressed file
    (RunOptions(workers=1), Spread(10, 0, 0), None),
], ids=["workers-large", "ray-large", "ray-cluster", "limit", "auto", "auto-one-shard", "one"])
def test_no_warning_where_nothing_was_spent_in_vain(options: RunOptions, spread: Spread, ray_start: float | None
                                                     ) -> None:
    assert spread_warnings(options, spread, 1.0, ray_start) == []


def test_the_measured_sizes_are_ordered() -> None:
    assert 0 < WORKERS_PAY_BYTES <= RAY_PAYS_BYTES


@pytest.mark.parametrize("workers", [0, 1])
def test_a_run_on_default_workers_warns_of_nothing(tmp_path: Path, workers: int) -> None:
    result = _run(tmp_path, RunOptions(workers=workers))
    assert result.warnings == [] and "warnings" not in json.loads(result.model_dump_json())
    assert "workers_start" not in result.timings


@pytest.mark.slow
@pytest.mark.parametrize("sharded", [False, True], ids=["one-shard", "shards"])
def test_a_small_run_on_two_workers_warns_and_keeps_its_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 sharded: bool) -> None:
    if sharded:
        monkeypatch.setattr("traingate.engine.shards.MIN_SHARD_BYTES", 1)
    one = _run(tmp_path, RunOptions(workers=1))
    two = _run(tmp_path, RunOptions(workers=2))
    assert (two.dataset.shards > 1) == sharded and one.gate.verdict == two.gate.verdict == "failed"
    assert _comparable(one) == _comparable(two)
    assert len(two.warnings) == 1 and two.warnings[0].startswith("--workers 2 on ")
    assert ("one shard" in two.warnings[0]) != sharded and ("workers_start" in two.timings) == sharded
    assert json.loads(two.model_dump_json())["warnings"] == two.warnings
    console = Console(file=io.StringIO(), width=400, color_system=None)
    render_terminal(two, console)
    assert f"warning: {two.warnings[0]}" in console.file.getvalue()


@pytest.mark.slow
def test_a_small_run_on_ray_warns_and_keeps_its_verdict(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    one = _run(tmp_path, RunOptions(workers=1))
    on_ray = _run(tmp_path, RunOptions(engine="ray", workers=2))
    assert one.gate.verdict == on_ray.gate.verdict == "failed" and _comparable(one) == _comparable(on_ray)
    assert len(on_ray.warnings) == 1 and on_ray.warnings[0].startswith("--engine ray on ")
    assert f"starting it took {on_ray.timings['ray_start']:.1f} s" in on_ray.warnings[0]
