"""Every executor gives the same run result as one process (timings and resources aside), for every check
type; a worker that dies is retried once, then reported as an errored shard that fails the gate."""

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

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import contract_text, write_jsonl
from tests.validators.test_merge_law import CASES, KIND_OF, _rows
from traingate.contracts import parse_contract
from traingate.engine import shards
from traingate.engine.runner import RunOptions, validate

VOLATILE = {"run_id", "started_at", "finished_at", "timings", "resources", "warnings"}  # warnings: of the spread
ROWS = 400


def _comparable(result: Any) -> dict[str, Any]:
    data = json.loads(result.model_dump_json())
    for key in VOLATILE:
        data.pop(key, None)
    data["dataset"].pop("shards")
    return data


def _run(tmp_path: Path, case: str, options: RunOptions, fmt: str = "jsonl") -> Any:
    kind = KIND_OF.get(case, case)
    contract = parse_contract(contract_text(kind, CASES[case]), str(tmp_path / "c.yaml"))
    rows = _rows(kind, ROWS)
    if fmt == "jsonl":
        path = write_jsonl(tmp_path / "d.jsonl", rows)
        with path.open("a") as out:  # an unreadable line in the middle shard keeps its line number
            out.write("{broken\n")
        write_jsonl(tmp_path / "e.jsonl", rows[:50])
        data = [f"train={path}", f"test={tmp_path / 'e.jsonl'}"]  # the test split repeats train rows: leaks
    else:
        path = tmp_path / "d.parquet"
        pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=37)
        data = [str(path)]
    return validate(contract, data, options=options)


@pytest.fixture
def small_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shards, "MIN_SHARD_BYTES", 1)


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_two_workers_give_the_single_process_result(tmp_path: Path, case: str, small_shards: None) -> None:
    one = _run(tmp_path, case, RunOptions(workers=1))
    two = _run(tmp_path, case, RunOptions(workers=2))
    assert two.dataset.shards >= 4 and one.dataset.shards == 2
    assert _comparable(two) == _comparable(one)
    assert two.resources["worker_peak_rss_mib"] > 0 and one.resources["peak_rss_mib"] > 0
    assert one.resources["worker_peak_rss_mib"] == 0


@pytest.mark.slow
def test_parquet_row_groups_shard_the_same(tmp_path: Path, small_shards: None) -> None:
    one = _run(tmp_path, "sft", RunOptions(workers=1), fmt="parquet")
    two = _run(tmp_path, "sft", RunOptions(workers=2), fmt="parquet")
    assert two.dataset.shards >= 4 and _comparable(two) == _comparable(one)


@pytest.mark.slow
@pytest.mark.parametrize("case", ["sft", "reward"])  # near duplicates; split leakage
def test_ray_gives_the_single_process_result(tmp_path: Path, small_shards: None, case: str) -> None:
    pytest.importorskip("ray")
    one = _run(tmp_path, case, RunOptions(workers=1))
    on_ray = _run(tmp_path, case, RunOptions(workers=2, engine="ray"))
    assert on_ray.dataset.shards >= 4 and _comparable(on_ray) == _comparable(one)
    assert on_ray.resources["worker_peak_rss_mib"] > 0
    leakage = [c for c in one.checks if c.type == "split_leakage"]
    assert all(c.findings > 0 for c in leakage) and (case != "reward" or leakage)


SCORER = ("  relevance:\n    - type: scorer\n      function: 'tests.validators.scorers:crash_on_marked_rows'\n"
          "      min_score: 0\n")


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["local", "ray"])
def test_a_dead_worker_is_retried_then_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str) -> None:
    if engine == "ray":
        pytest.importorskip("ray")
    contract = parse_contract(contract_text("pretraining", SCORER), str(tmp_path / "c.yaml"))
    rows = [{"text": f"row {i}"} for i in range(300)]
    rows[10] = {"text": f"CRASH-ONCE {tmp_path / 'marker'}"}
    path = write_jsonl(tmp_path / "d.jsonl", rows)
    # four shards, two a worker: a crash breaks the pool, and each shard it left unfinished is tried again on a
    # fresh process of its own (about a second each), so fewer shards keep the test short
    monkeypatch.setattr(shards, "MIN_SHARD_BYTES", 1200)  # the file holds about 5.9 kB
    once = validate(contract, [str(path)], options=RunOptions(workers=2, engine=engine))
    assert (tmp_path / "marker").exists() and once.gate.verdict == "passed" and once.dataset.rows == 300
    assert once.dataset.shards == 4

    rows[250] = {"text": "CRASH"}
    write_jsonl(path, rows)
    twice = validate(contract, [str(path)], options=RunOptions(workers=2, engine=engine))
    assert twice.gate.verdict == "errored" and len(twice.dataset.errored_shards) == 1 and twice.dataset.shards == 4
    failed = twice.dataset.errored_shards[0]
    assert failed.startswith(f"{path} bytes ") and "failed twice" in failed
    assert twice.dataset.rows < 300 and any("could not be read" in r for r in twice.gate.reasons)


def test_max_memory_stops_and_fails_the_gate_saying_so(tmp_path: Path) -> None:
    contract = parse_contract(contract_text("pretraining", "  quantity:\n    - {type: min_rows, min: 1}\n"), "c.yaml")
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": f"row {i}"} for i in range(100)])
    result = validate(contract, [str(path)], options=RunOptions(max_memory_mib=1))
    assert result.dataset.stopped_early is not None and "memory limit reached" in result.dataset.stopped_early
    assert result.gate.verdict == "errored" and result.gate.exit_code == 3


def test_cli_scale_options(tmp_path: Path) -> None:
    from tests.cli.test_cli import invoke

    (tmp_path / "c.yaml").write_text(contract_text("pretraining", "  quantity:\n    - {type: min_rows, min: 1}\n"))
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": f"row {i}"} for i in range(50)])
    code, output = invoke("validate", str(tmp_path / "c.yaml"), str(data), "--workers", "1", "--max-memory", "1MiB")
    assert code == 3 and "stopped early" in output and "memory limit reached" in output
    code, output = invoke("validate", str(tmp_path / "c.yaml"), str(data), "--max-memory", "lots")
    assert code == 2 and "give a size such as 8GiB" in output
    code, output = invoke("validate", str(tmp_path / "c.yaml"), str(data), "--engine", "spark")
    assert code == 2 and "use local or ray" in output
    code, _ = invoke("validate", str(tmp_path / "c.yaml"), str(data), "--workers", "2", "--max-memory", "4GiB")
    assert code == 0


def test_ray_runs_take_the_sort_shuffle_and_put_back_the_callers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The task-based shuffle is chosen for the run only; a Ray Data without shuffle strategies runs as it is."""
    pytest.importorskip("ray")
    from ray.data import context as data_context

    from traingate.engine import ray_engine

    seen: list[object] = []
    monkeypatch.setattr(ray_engine, "start_ray", lambda address: 0.0)
    monkeypatch.setattr(ray_engine, "_run", lambda tasks: seen.append(
        data_context.DataContext.get_current().shuffle_strategy) or ([], {}))
    before = data_context.DataContext.get_current().shuffle_strategy
    assert ray_engine.run_on_ray([], None) == ([], {})
    assert seen == [data_context.ShuffleStrategy.SORT_SHUFFLE_PULL_BASED]
    assert data_context.DataContext.get_current().shuffle_strategy == before
    monkeypatch.delattr(data_context, "ShuffleStrategy")
    assert ray_engine.run_on_ray([], None) == ([], {}) and seen[-1] == before


@pytest.mark.slow
def test_ray_groups_band_keys_and_returns_only_pairs(tmp_path: Path, small_shards: None) -> None:
    pytest.importorskip("ray")
    from traingate.data.sources import resolve
    from traingate.engine.fold import build_validators, fold
    from traingate.engine.ray_engine import run_on_ray
    from traingate.engine.runner import check_ids
    from traingate.engine.shards import Shard, plan_shards

    near = "  uniqueness:\n    - type: near_duplicates\n      threshold: 0.5\n      size: 2\n      verify: true\n"
    contract = parse_contract(contract_text("sft", near), str(tmp_path / "c.yaml"))
    path = write_jsonl(tmp_path / "d.jsonl", _rows("sft", ROWS))
    files, ids = resolve([str(path)], None, None), check_ids(contract)
    columns = {c for v in build_validators(contract, ids) for c in v.columns()}
    shards = plan_shards(files, 2)
    import ray.data

    strategy = ray.data.DataContext.get_current().shuffle_strategy  # the run shuffles by tasks, then restores it
    outcomes, pairs = run_on_ray([(contract, ids, files, s, columns, None, False, frozenset()) for s in shards], None)
    assert ray.data.DataContext.get_current().shuffle_strategy == strategy
    assert len(shards) >= 4 and all(not isinstance(o, str) and len(o.states[0].table) == 0 for o in outcomes)
    near_validator = build_validators(contract, ids)[0]
    whole = fold(contract, [near_validator], files, [Shard(0)], columns)
    for cap in (0, 50):
        expected = near_validator._pairs(whole.states[0], complete=cap > 0)
        assert len(expected) > 0 and np.array_equal(pairs[0][cap], expected)


AGREEMENT = "  consistency:\n    - type: agreement\n      min_alpha: 0.5\n"
def test_sampling_under_memory_pressure_is_the_same_whenever_it_happens() -> None:
    """agreement samples items (the checks that spill instead are in test_spill.py)."""
    from tests.validators.test_merge_law import _contexts
    from traingate.engine.runner import check_ids
    from traingate.validators import build
    from traingate.validators.common.capabilities import ShedsRows

    KIND_OF["sampled"], CASES["sampled"] = "pretraining", AGREEMENT
    try:
        contract, batches = _contexts("sampled", [30, 60, 90])
    finally:
        del CASES["sampled"], KIND_OF["sampled"]
    v = build(contract.all_checks()[0], contract.dataset, check_ids(contract)[0])
    assert isinstance(v, ShedsRows)
    early = v.shed(v.create_state())
    late, whole = v.create_state(), v.create_state()
    for i, batch in enumerate(batches):
        early, late, whole = v.add_batch(early, batch), v.add_batch(late, batch), v.add_batch(whole, batch)
        if i == 2:
            late = v.shed(late)
    split = v.merge_states(v.add_batch(v.create_state(), batches[0]),
                           v.shed(v.add_batch(v.create_state(), batches[1])))  # one worker shed, the other did not
    for b in batches[2:]:
        split = v.add_batch(split, b)
    result, exact = v.finalize(late), v.finalize(whole)
    assert v.finalize(early).model_dump() == result.model_dump() == v.finalize(split).model_dump()
    assert "estimated on" in result.message and "--max-memory" in result.message and "sampled" not in exact.details
    assert result.details["sampled"]["share"] == 0.5  # alpha on the labels of a share of the items
    assert 0 < result.details["items"] < exact.details["items"] and result.details["sampled"]["items_kept"] > 0
    assert result.value is not None and -1 <= result.value <= 1


def test_max_memory_samples_a_check_that_can_and_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.engine import fold

    readings = iter([500.0])  # over the limit once, then under it
    monkeypatch.setattr(fold, "rss_mib", lambda: next(readings, 10.0))
    from traingate.data import jsonl_reader

    monkeypatch.setattr(jsonl_reader, "BLOCK_BYTES", 4096)  # several chunks, so the run goes on after sampling
    contract = parse_contract(contract_text("pretraining", AGREEMENT), str(tmp_path / "c.yaml"))
    path = write_jsonl(tmp_path / "d.jsonl", _rows("pretraining", ROWS))
    result = validate(contract, [str(path)], options=RunOptions(workers=1, max_memory_mib=100))
    assert result.dataset.stopped_early is None and result.dataset.rows == ROWS
    assert len(result.dataset.memory_actions) == 1 and "kept half" in result.dataset.memory_actions[0]
    assert result.checks[0].details["sampled"]["share"] == 0.5 and result.gate.verdict != "errored"


def test_limit_reads_a_prefix_in_one_process_on_any_engine(tmp_path: Path) -> None:
    contract = parse_contract(contract_text("pretraining", "  quantity:\n    - {type: min_rows, min: 1}\n"), "c.yaml")
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": f"row {i}"} for i in range(100)])
    for engine in ("local", "ray"):
        result = validate(contract, [str(path)], options=RunOptions(workers=2, engine=engine, limit=7))
        assert (result.dataset.rows, result.dataset.limited_to, result.dataset.shards) == (7, 7, 1), engine


def test_semantic_duplicates_halve_their_rows_by_the_seeded_priority() -> None:
    from tests.validators.test_merge_law import _contexts
    from traingate.engine.runner import check_ids
    from traingate.validators import build

    KIND_OF["sampled"], CASES["sampled"] = "pretraining", "  uniqueness:\n    - type: semantic_duplicates\n"
    try:
        contract, batches = _contexts("sampled", [60])
    finally:
        del CASES["sampled"], KIND_OF["sampled"]
    v = build(contract.all_checks()[0], contract.dataset, check_ids(contract)[0])
    state = v.create_state()
    for batch in batches:
        state = v.add_batch(state, batch)
    held = sum(len(i) for i in state.ids)
    result = v.finalize(v.shed(state))  # type: ignore[attr-defined]
    assert result.details["embedded_rows"] == result.details["memory_cap"] == held // 2 > 0
    assert result.details["sampled"] and "to stay under --max-memory" in result.message


def small_shards_script(min_bytes: int = 1) -> str:
    """The top of a script run in a subprocess: shards of `min_bytes` or more, and a contract any rows pass."""
    return ("import sys\n"
            "from traingate.engine import shards\n"
            f"shards.MIN_SHARD_BYTES = {min_bytes}\n"
            "from tests.conftest import contract_text\n"
            "from traingate.contracts import parse_contract\n"
            "from traingate.engine.runner import RunOptions, validate\n"
            "contract = parse_contract(contract_text('pretraining', '  quantity:\\n    - {type: min_rows, min: 1}\\n'),"
            " 'c.yaml')\n")


SMALL_SHARDS_SCRIPT = small_shards_script()


def test_a_script_read_from_stdin_reads_in_one_process_and_says_so(tmp_path: Path) -> None:
    """Spawned workers import the main script again, which a script read from stdin does not have."""
    import subprocess
    import sys

    path = write_jsonl(tmp_path / "d.jsonl", [{"text": f"row {i}"} for i in range(200)])
    script = (
        "import json, warnings\n" + SMALL_SHARDS_SCRIPT +
        "with warnings.catch_warnings(record=True) as seen:\n"
        "    warnings.simplefilter('always')\n"
        "    r = validate(contract, [sys.argv[1]], options=RunOptions(workers=2))\n"
        "print(json.dumps({'rows': r.dataset.rows, 'shards': r.dataset.shards, 'verdict': r.gate.verdict,\n"
        "                  'warnings': [str(w.message) for w in seen]}))\n")
    done = subprocess.run([sys.executable, "-", str(path)], input=script, capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[2])
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert (out["rows"], out["shards"], out["verdict"]) == (200, 1, "passed")
    assert any("read from standard input; reading in this process" in w for w in out["warnings"]), out


@pytest.mark.slow
def test_a_script_without_a_main_guard_is_told_how_to_start_workers(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = write_jsonl(tmp_path / "d.jsonl", [{"text": f"row {i}"} for i in range(200)])
    script = tmp_path / "unguarded.py"
    # three shards of the 3.9 kB file: each is tried on fresh processes that die as they start (about a second each)
    script.write_text(small_shards_script(1200) + "validate(contract, [sys.argv[1]], options=RunOptions(workers=2))\n")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, str(script), str(path)], capture_output=True, text=True, cwd=root,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode != 0
    assert 'TraingateError: worker processes died as they started' in done.stderr
    assert 'if __name__ == "__main__":' in done.stderr.splitlines()[-1]


def test_shards_go_out_numbered_before_the_whole_file_is_counted(tmp_path: Path, small_shards: None,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.data.sources import resolve
    from traingate.engine.shards import count_newlines, numbered, shard_ranges

    rows = [{"text": "x" * (i % 7)} for i in range(500)]
    files = resolve([str(write_jsonl(tmp_path / "a.jsonl", rows)), str(write_jsonl(tmp_path / "b.jsonl", rows[:90]))],
                    None, None)
    counted: list[tuple[int, int]] = []

    def counting(part: tuple[str, int, int]) -> int:
        counted.append(part[1:])
        return count_newlines(part)

    monkeypatch.setattr(shards, "count_newlines", counting)
    ranges = shard_ranges(files, 2)
    assert len(ranges) >= 6 and not counted
    stream = numbered(files, ranges)
    assert next(stream).first_line == 1 and not counted  # the first shard needs no counting
    rest = list(stream)
    assert len(counted) == len(ranges) - 2  # every range but each file's last is counted once
    data = [(tmp_path / name).read_bytes() for name in ("a.jsonl", "b.jsonl")]
    assert all(shard.first_line == data[shard.file_index][: shard.start].count(b"\n") + 1 for shard in rest)


def start_marked_run(tmp_path: Path, guard: str = "") -> subprocess.Popen[bytes]:
    """A script that validates 400 rows on 2 workers with a scorer taking 3 s a batch, started in its own
    session and returned once a worker has begun a batch. `guard`: a context manager (from
    traingate.data.lifecycle) the script runs `validate` inside."""
    rows = [{"text": f"MARK {tmp_path / 'started'}" if i % 20 == 0 else f"row {i}"} for i in range(400)]
    path = write_jsonl(tmp_path / "d.jsonl", rows)
    call = "validate(contract, [sys.argv[1]], options=RunOptions(workers=2))"
    body = (f"    from traingate.data.lifecycle import {guard}\n    with {guard}():\n        {call}\n" if guard
            else f"    {call}\n")
    script = tmp_path / "run.py"
    script.write_text(
        "import sys\n"
        "from traingate.data import jsonl_reader\n"
        "from traingate.engine import shards\n"
        "def main():\n"
        "    shards.MIN_SHARD_BYTES, jsonl_reader.BLOCK_BYTES = 1, 512\n"
        "    from tests.conftest import contract_text\n"
        "    from traingate.contracts import parse_contract\n"
        "    from traingate.engine.runner import RunOptions, validate\n"
        "    scorer = \"  relevance:\\n    - {type: scorer, min_score: 0,\"\n"
        "    scorer += \" function: 'tests.validators.scorers:slow_after_marking'}\\n\"\n"
        "    contract = parse_contract(contract_text('pretraining', scorer), 'c.yaml')\n"
        f"{body}"
        "if __name__ == '__main__':\n"
        "    main()\n")
    root = Path(__file__).resolve().parents[2]
    run = subprocess.Popen([sys.executable, str(script), str(path)], cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while not (tmp_path / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (tmp_path / "started").exists(), run.communicate()
    return run


@pytest.mark.slow
@pytest.mark.parametrize("to", ["process group", "driver"])
def test_ctrl_c_stops_a_sharded_run_at_once(tmp_path: Path, to: str) -> None:
    """SIGINT (Ctrl-C reaches the whole process group; a job runner may signal the driver alone) ends the
    run in seconds: pending shards are cancelled and the workers stopped, not left to fold every shard."""
    run = start_marked_run(tmp_path)
    interrupted = time.monotonic()
    (os.killpg if to == "process group" else os.kill)(run.pid, signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode != 0 and b"KeyboardInterrupt" in err
    assert time.monotonic() - interrupted < 5  # the shards left, 3 s a batch, would take about 15 s


@pytest.mark.slow
def test_sigterm_in_stop_on_sigterm_unwinds_a_script_run_and_exits_143(tmp_path: Path) -> None:
    """A script that runs `validate` inside stop_on_sigterm(): SIGTERM to it ends its workers (reaped, in
    the time a batch takes to start, not the 3 s each takes) and exits 143 without a traceback."""
    run = start_marked_run(tmp_path, guard="stop_on_sigterm")
    try:
        children = [int(p) for p in Path(f"/proc/{run.pid}/task/{run.pid}/children").read_text().split()]
        signalled = time.monotonic()
        run.send_signal(signal.SIGTERM)
        _, err = run.communicate(timeout=30)
        assert run.returncode == 143 and b"Traceback" not in err, err
        assert time.monotonic() - signalled < 2
        assert children and not [pid for pid in children if Path(f"/proc/{pid}").exists()]  # reaped, not zombies
    finally:
        with contextlib.suppress(ProcessLookupError):  # whatever is left of the run
            os.killpg(run.pid, signal.SIGKILL)
        run.communicate()
