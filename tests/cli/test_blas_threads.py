"""The command runs numpy's BLAS on one thread unless the user says otherwise: its idle threads spin after
numpy loads (0.06-0.15 CPU s a process) and the command spreads its work over processes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads in /proc (Linux)")
PROBE = ("import os, sys\n"
         "from traingate.cli.app import one_blas_thread\n"
         "if sys.argv[1] == 'command': one_blas_thread()\n"
         "import numpy\n"
         "print(len(os.listdir('/proc/self/task')), os.environ.get('OPENBLAS_NUM_THREADS'))\n")


def _threads(how: str, **env: str) -> tuple[int, str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", PROBE, how], env=clean | env, capture_output=True, text=True,
                         check=True).stdout.split()
    return int(out[0]), out[1]


def test_the_command_loads_numpy_with_one_blas_thread() -> None:
    threads, given = _threads("command")
    assert given == "1" and threads == 1
    if (os.cpu_count() or 1) > 1:
        assert _threads("library")[0] > 1  # the library alone leaves numpy's default to the caller


def test_a_setting_of_the_user_is_kept() -> None:
    threads, given = _threads("command", OPENBLAS_NUM_THREADS="2")
    assert given == "2" and threads == (2 if (os.cpu_count() or 1) > 1 else threads)
