"""The pii check in the worker processes of a sharded run: each worker used to start a process pool of its
own for a batch of 256 texts or more and never shut it down, so the worker waited for it forever at exit."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import write_jsonl

pytestmark = pytest.mark.slow  # worker processes and pools
ROOT = Path(__file__).resolve().parents[2]


def bounded(command: list[str], seconds: float) -> tuple[int, str, str]:
    """Run `command` from the repository root; past `seconds` its whole process group (the workers and
    their own pools too) is killed and the test fails."""
    run = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        stdout, stderr = run.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        stdout, stderr = run.communicate()
        pytest.fail(f"{' '.join(command[:3])} did not finish in {seconds} s: {stderr[-2000:]}")
    return run.returncode, stdout, stderr

SCRIPT = (
    "import json, sys\n"
    "from traingate.engine import shards\n"
    "from tests.conftest import contract_text\n"
    "from traingate.contracts import parse_contract\n"
    "from traingate.engine.runner import RunOptions, validate\n"
    "if __name__ == '__main__':\n"
    "    shards.MIN_SHARD_BYTES = 1\n"
    "    pii = '  compliance:\\n    - {type: pii, recognizers: patterns, max_rate: 1.0}\\n'\n"
    "    contract = parse_contract(contract_text('pretraining', pii), 'c.yaml')\n"
    "    r = validate(contract, [sys.argv[1]], options=RunOptions(workers=2))\n"
    "    print(json.dumps({'shards': r.dataset.shards, 'findings': r.checks[0].findings, 'rows': r.checks[0].rows}))\n")


def test_a_sharded_run_with_pii_on_large_batches_ends(tmp_path: Path) -> None:
    rows = [{"text": f"row {i}: write to person{i}@acme.com" if i % 4 == 0 else f"row {i} holds nothing"}
            for i in range(4000)]  # every shard's batch holds far more than PARALLEL_FROM texts
    path = write_jsonl(tmp_path / "d.jsonl", rows)
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    code, stdout, stderr = bounded([sys.executable, str(script), str(path)], 60)
    assert code == 0, stderr
    out = json.loads(stdout.strip().splitlines()[-1])
    assert out["shards"] >= 4 and out["rows"] == 4000 and out["findings"] == 1000


POOL_SCRIPT = (
    "import multiprocessing, sys\n"
    "from traingate.data.presidio import analyze_parallel\n"
    "from traingate.data.presidio_engine import EngineSpec\n"
    "def scan():\n"
    "    spec = EngineSpec('patterns', 'en', ('EMAIL_ADDRESS',), 0.4)\n"
    "    found = analyze_parallel(spec, [f'mail a{i}@acme.com' for i in range(300)], workers=2)\n"
    "    sys.exit(0 if sum(map(len, found)) == 300 else 1)\n"
    "if __name__ == '__main__':\n"
    "    child = multiprocessing.get_context('spawn').Process(target=scan)\n"
    "    child.start()\n"
    "    child.join()\n"
    "    sys.exit(child.exitcode)\n")


def test_a_pii_pool_made_in_a_spawned_process_is_shut_down_when_it_ends(tmp_path: Path) -> None:
    """Wherever a pool is made (here in a process that is not a shard worker), its process still ends."""
    script = tmp_path / "pool.py"
    script.write_text(POOL_SCRIPT)
    code, _, stderr = bounded([sys.executable, str(script)], 60)
    assert code == 0, stderr


DRIVER = (
    "import sys, time\n"
    "from traingate.data import presidio\n"
    "if __name__ == '__main__':\n"
    "    pool = presidio._pool(2)\n"
    "    list(pool.map(time.sleep, [1.0, 1.0]))\n"
    "    print(' '.join(str(p) for p in pool._processes), flush=True)\n"
    "    time.sleep(60)\n"
)


def test_the_pii_pool_of_a_driver_killed_with_sigkill_exits_within_seconds(tmp_path: Path) -> None:
    """A one-process run's pii pool watches its driver, as shard workers do: kill -9 of the driver leaves
    no pool worker waiting for work that will never come."""
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    run = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                           text=True, stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert run.stdout is not None
        workers = [int(p) for p in run.stdout.readline().split()]
        assert len(workers) == 2
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=10)
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and any(alive(p) for p in workers):
            time.sleep(0.1)
        assert not [p for p in workers if alive(p)]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it has exited)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False
