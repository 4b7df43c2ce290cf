"""Hostile cases for process hygiene: a signal, a driver killed with SIGKILL, a full spill disk and a normal
sharded run each end with no process of the run left and no spill folder behind. Every run is a `traingate`
subprocess in a session of its own (its workers inherit it, so the test finds every process of the run by
session id in /proc); each wait is bounded by the test and the session is killed at the end whatever happens."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from traingate.data.spill import HOST

SCORER = """\
import os, time

def slow(rows):
    # a worker got here: one file per process (its pid), then the batch takes long
    open(os.path.join(os.environ["HOSTILE_MARKS"], str(os.getpid())), "a").close()
    time.sleep(float(os.environ.get("HOSTILE_SLEEP", "0")))
    return [1] * len(rows)
"""
SLOW = """\
contract: hostile-processes
version: 1.0.0
dataset:
  kind: pretraining
checks:
  relevance:
    - {type: scorer, min_score: 0, function: 'hostile_scorer:slow'}
"""
SPILLS = """\
contract: hostile-spill
version: 1.0.0
dataset:
  kind: pretraining
checks:
  uniqueness:
    - {type: exact_duplicates}
    - {type: near_duplicates, threshold: 0.8}
"""


def session_processes(sid: int) -> dict[int, str]:
    """pid -> state (R, S, Z...) of every process in session `sid`."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # state ppid pgrp session ...
        if int(fields[3]) == sid:
            found[int(entry)] = fields[0]
    return found


def gone_within(sid: int, seconds: float, zombies_count: bool = True) -> tuple[bool, dict[int, str]]:
    """Whether no process of the session is left (a zombie counts unless `zombies_count` is False) within
    `seconds`; the processes left otherwise."""
    deadline = time.monotonic() + seconds
    while True:
        left = {p: s for p, s in session_processes(sid).items() if zombies_count or s != "Z"}
        if not left or time.monotonic() > deadline:
            return not left, left
        time.sleep(0.02)


@contextmanager
def started(args: list[str], tmp_path: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """traingate in a session of its own; every process left in it is killed when the test ends."""
    run = subprocess.Popen([sys.executable, "-m", "traingate", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, start_new_session=True, cwd=tmp_path,
                           env={**os.environ, "PYTHONPATH": str(tmp_path), **env})
    try:
        yield run
    finally:
        for pid in session_processes(run.pid):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        run.kill()
        run.communicate()


def spill_folders(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.glob("traingate-spill-*"))


def slow_run(tmp_path: Path, files: int = 4) -> tuple[list[str], dict[str, str], Path, Path]:
    """A sharded run (one shard per file) whose scorer marks each worker and then sleeps 60 s a batch;
    the spill folder (made for --max-memory) goes to its own TMPDIR."""
    (tmp_path / "hostile_scorer.py").write_text(SCORER)
    (tmp_path / "c.yaml").write_text(SLOW)
    marks, tmp = tmp_path / "marks", tmp_path / "tmp"
    marks.mkdir()
    tmp.mkdir()
    data = tmp_path / "data"
    data.mkdir()
    for f in range(files):
        (data / f"part{f}.jsonl").write_text("".join(json.dumps({"text": f"row {i} of {f}"}) + "\n" for i in range(20)))
    args = ["validate", "c.yaml", str(data), "--workers", "2", "--max-memory", "64GiB"]
    return args, {"HOSTILE_MARKS": str(marks), "HOSTILE_SLEEP": "60", "TMPDIR": str(tmp)}, marks, tmp


def wait_for_workers(run: subprocess.Popen[str], marks: Path, count: int = 2, seconds: float = 90) -> list[int]:
    deadline = time.monotonic() + seconds
    while len(list(marks.iterdir())) < count and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = [int(p.name) for p in marks.iterdir()]
    assert len(pids) >= count, (run.poll(), run.stderr.read() if run.poll() is not None else "")
    return pids


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code", "said"), [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")])
def test_a_signal_to_the_driver_stops_a_sharded_run_within_a_second_and_leaves_nothing(
        tmp_path: Path, sig: signal.Signals, code: int, said: str) -> None:
    """The driver alone is signalled (as a job runner or `kill` does): it ends its workers, removes its spill
    folder and exits 143 (SIGTERM) or 130 (SIGINT) with one line, within a second, every process reaped."""
    args, env, marks, tmp = slow_run(tmp_path)
    with started(args, tmp_path, env) as run:
        workers = wait_for_workers(run, marks)
        assert spill_folders(tmp)  # the run's folder exists while it runs
        signalled = time.monotonic()
        os.kill(run.pid, sig)
        _, err = run.communicate(timeout=30)
        took = time.monotonic() - signalled
        ended, left = gone_within(run.pid, 1.0)
        assert ended, left
        assert run.returncode == code and took < 1.0, (run.returncode, took, err)
        assert err.strip().splitlines() == [said], err
        assert not spill_folders(tmp)
        assert all(not Path(f"/proc/{pid}").exists() for pid in workers)


@pytest.mark.slow
def test_workers_of_a_driver_killed_with_sigkill_exit_within_seconds_and_the_next_run_sweeps_its_folder(
        tmp_path: Path) -> None:
    """kill -9 leaves the driver no chance to clean up: its workers notice that it died (they watch their
    parent) and exit within seconds in the middle of a 60 s batch, removing the run's spill folder; a
    folder a dead driver left anyway (named by its pid) is removed by the next run."""
    args, env, marks, tmp = slow_run(tmp_path)
    with started(args, tmp_path, env) as run:
        wait_for_workers(run, marks)
        killed = time.monotonic()
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=10)
        ended, left = gone_within(run.pid, 5.0, zombies_count=False)  # exited ones wait for init to reap them
        assert ended, left
        assert time.monotonic() - killed < 5.0
        assert not spill_folders(tmp)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp / f"traingate-spill-{int(dead.stdout)}-{HOST}-abcd1234"  # as a driver killed in one process leaves it
    stale.mkdir()
    (stale / "x.npy").write_bytes(b"0" * 10)
    mine = tmp / f"traingate-spill-{os.getpid()}-{HOST}-abcd1234"  # a live process's folder is left alone
    mine.mkdir()
    env["HOSTILE_SLEEP"] = "0"
    with started(args, tmp_path, env) as run:
        run.communicate(timeout=120)
        assert run.returncode == 0
    assert spill_folders(tmp) == [mine.name]


@pytest.mark.slow
def test_a_normal_sharded_run_ends_with_every_process_reaped(tmp_path: Path) -> None:
    """When a `--workers 2` run exits, none of its processes (workers, the resource tracker) is left running
    or as a zombie for init to reap."""
    args, env, _, tmp = slow_run(tmp_path)
    env["HOSTILE_SLEEP"] = "0"
    with started(args, tmp_path, env) as run:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        ended, left = gone_within(run.pid, 0.0)
        assert ended, left
        assert not spill_folders(tmp)


@contextmanager
def full_disk(tmp_path: Path, size: str = "256k") -> Iterator[Path]:
    """A tmpfs of `size`, unmounted at the end; skips where mounting is not allowed."""
    where = tmp_path / "full"
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr!r}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.parametrize("workers", ["1", pytest.param("2", marks=pytest.mark.slow), pytest.param("ray", marks=pytest.mark.slow)])
def test_a_full_spill_disk_is_exit_3_naming_the_folder_and_leaves_no_file(tmp_path: Path, workers: str) -> None:
    """Spilling onto a disk that fills up: exit 3 and one line naming the spill folder and TMPDIR (how to
    move it), not a SIGBUS (exit 135) with no message; the spill files are removed; no process left. On Ray
    (2 workers; its own files in RAY_TMPDIR) the line is the last one, after Ray's own logging."""
    engine = ["--engine", "ray", "--workers", "2"] if workers == "ray" else ["--workers", workers]
    if workers == "ray":
        pytest.importorskip("ray")
    ray_tmp = tempfile.mkdtemp(prefix="tg-ray-", dir="/tmp")  # short: Ray's socket paths must fit 107 bytes
    data = tmp_path / "data"
    data.mkdir()
    for f in range(4):  # 4 files: 4 shards on 2 workers
        (data / f"part{f}.jsonl").write_text(
            "".join(json.dumps({"text": f"row {i} of file {f}: " + " ".join(f"w{(i * 7 + k) % 997}" for k in range(12))})
                    + "\n" for i in range(3000)))
    (tmp_path / "c.yaml").write_text(SPILLS)
    with full_disk(tmp_path) as tmp, _removed(ray_tmp):
        args = ["validate", "c.yaml", str(data), *engine, "--max-memory", "1MiB"]
        with started(args, tmp_path, {"TMPDIR": str(tmp), "RAY_TMPDIR": ray_tmp}) as run:
            _, err = run.communicate(timeout=180)
            assert run.returncode == 3, (run.returncode, err)
            lines = err.strip().splitlines()
            assert (len(lines) == 1 or workers == "ray") and "Traceback" not in err, err
            assert lines[-1].startswith(f"error: cannot write to the spill folder {tmp}/traingate-spill-{run.pid}-"), err
            assert "No space left on device" in lines[-1] and "TMPDIR" in lines[-1], err
            ended, left = gone_within(run.pid, 1.0 if workers != "ray" else 10.0)
            assert ended, left
        assert list(tmp.iterdir()) == []


@contextmanager
def _removed(folder: str) -> Iterator[None]:
    try:
        yield
    finally:
        shutil.rmtree(folder, ignore_errors=True)
