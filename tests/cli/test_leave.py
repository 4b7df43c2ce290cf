"""The `traingate` command ends without the interpreter's teardown (cli/leave.py) and loses nothing by it:
every output file byte for byte as a normal exit writes it, atexit handlers run (a spill folder is removed),
child processes are ended and reaped, buffered output reaches its pipe, and the exit status is the one
SystemExit gives. A file left open for writing takes the normal exit, which flushes it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest

CONTRACT = """\
contract: ends
version: 1.0.0
dataset:
  kind: sft
checks:
  format:
    - {type: empty_text, max_rate: 0.01}
    - {type: max_chars, limit: 40, max_rate: 0.01}
  uniqueness:
    - {type: exact_duplicates, max_rate: 0.01}
"""
OUTPUTS = ["--json", "r.json", "--report", "r.html", "--junit", "r.xml", "--markdown", "r.md", "--evidence",
           "e.jsonl", "--rejects", "rj.parquet", "--clusters", "cl.jsonl"]
ENTRY = ["-m", "traingate"]  # traingate.cli.app.main, as the console script runs it
NORMAL = ["-c", "from traingate.cli.app import app; app()"]  # the same app, ended by the interpreter


def _python(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "COLUMNS": "120", **(env or {})})


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ends")
    (folder / "c.yaml").write_text(CONTRACT)
    rows = [{"prompt": f"q{i % 7}", "response": "a" * (i % 50) if i % 11 else ""} for i in range(300)]
    (folder / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def _steady(folder: Path, name: str) -> bytes | object:
    """A file's content without what differs between two runs (run id, clock times, durations, memory)."""
    if name.endswith(".parquet"):
        return pq.read_table(folder / name).to_pylist()
    text = (folder / name).read_text()
    if name.endswith(".json"):
        run = json.loads(text)
        return {k: v for k, v in run.items() if k not in ("run_id", "started_at", "finished_at", "timings", "resources")}
    run_id = json.loads((folder / "r.json").read_text())["run_id"]
    text = text.replace(run_id, "RUN")
    text = re.sub(r"\d{4}-\d\d-\d\dT[\d:.+]+", "TIME", text)
    text = re.sub(r'time="[\d.]+"', 'time=""', text)
    return re.sub(r"[\d.]+ s · |peak RSS \d+ MiB", "", text).encode()


@pytest.mark.slow
def test_every_output_file_is_written_as_a_normal_exit_writes_it(data: Path) -> None:
    runs = {}
    for name, how in (("entry", ENTRY), ("normal", NORMAL)):
        (data / name).mkdir()
        runs[name] = _python([*how, "validate", "../c.yaml", "../d.jsonl", *OUTPUTS], data / name)
        assert runs[name].returncode == 1, runs[name].stderr  # the gate fails: empty texts, duplicates
    assert runs["entry"].stdout == runs["normal"].stdout and runs["entry"].stderr == runs["normal"].stderr
    for name in OUTPUTS[1::2]:
        assert _steady(data / "entry", name) == _steady(data / "normal", name), name
    assert (data / "entry" / "r.html").read_text().rstrip().endswith("</html>")


@pytest.mark.slow
def test_child_processes_are_ended_and_reaped_and_the_spill_folder_removed(data: Path, tmp_path: Path) -> None:
    marker, temp = uuid.uuid4().hex, tmp_path / "tmp"
    temp.mkdir()
    files = [str(data / "d.jsonl"), str(data / "c.yaml")]
    (tmp_path / "e.jsonl").write_text((data / "d.jsonl").read_text())  # two files: two shards, so workers start
    run = _python([*ENTRY, "validate", files[1], files[0], "e.jsonl", "--workers", "2", "--max-memory", "8GiB",
                   "--rejects", "r.jsonl", "--json", "r.json"], tmp_path, {"LEAVE_TEST": marker, "TMPDIR": str(temp)})
    assert run.returncode == 1, run.stderr
    assert "workers_start" in json.loads((tmp_path / "r.json").read_text())["timings"]  # workers did run
    assert _marked(marker) == [], "a worker outlived the command"
    assert list(temp.iterdir()) == [], "a spill folder was left"


def _marked(marker: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{pid}/environ").read_bytes():
                found.append(int(pid))
        except OSError:
            continue
    return found


PROGRAM = """\
import atexit, multiprocessing, os, sys, time
from traingate.cli.leave import leave

def child(path):
    time.sleep(0.3)
    with open(path, "w") as f:
        f.write("child")

if __name__ == "__main__":
    multiprocessing.set_start_method("spawn")
    atexit.register(lambda: open("atexit.txt", "w").write("ran"))
    multiprocessing.Process(target=child, args=("child.txt",)).start()  # joined by multiprocessing's handler
    sys.stdout.write("x" * 1_000_000)  # buffered, on a pipe
    if sys.argv[1] == "open":
        kept = open("open.txt", "w")
        kept.write("y" * 100)  # still in the file object's buffer
    leave({"0": 0, "3": 3, "open": 0, "text": "a message", "none": None}[sys.argv[1]])
"""


@pytest.mark.skipif(not os.path.isdir("/dev/fd"), reason="the fast exit lists /dev/fd")
@pytest.mark.parametrize(("code", "status"), [("0", 0), ("3", 3), ("open", 0), ("text", 1), ("none", 0)])
def test_leave_runs_the_exit_handlers_flushes_and_keeps_the_status(tmp_path: Path, code: str, status: int) -> None:
    (tmp_path / "p.py").write_text(PROGRAM)
    run = _python(["p.py", code], tmp_path)
    assert run.returncode == status, run.stderr
    assert run.stdout == "x" * 1_000_000
    assert (tmp_path / "atexit.txt").read_text() == "ran"
    assert (tmp_path / "child.txt").read_text() == "child"
    if code == "open":
        assert (tmp_path / "open.txt").read_text() == "y" * 100
    assert run.stderr == ("a message\n" if code == "text" else "")
