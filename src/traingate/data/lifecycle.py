"""How the processes of a run end. The driver: SIGTERM becomes an exception (Terminated) that unwinds the run
like Ctrl-C does, ending its workers and removing its spill folder; its worker processes are ended and
reaped, not left to the machine's init; the resource tracker multiprocessing starts is reaped when the driver
exits. A worker: it ignores SIGINT (the driver ends it; Ctrl-C reaches the whole process group) and watches
its driver, exiting within WATCH_SECONDS of the driver's death (SIGKILL, a crash), removing the run's spill
folder on its way out."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

WATCH_SECONDS = 0.2  # how often a worker looks whether its driver is alive
END_SECONDS = 2.0  # how long ended workers get to exit before they are killed
TERMINATED = 128 + signal.SIGTERM  # 143: the exit status a shell gives a process SIGTERM ended


class Terminated(SystemExit):
    """SIGTERM reached the driver: the run unwinds (workers ended, spill folder removed) and the process
    exits 143. A SystemExit, so that no `except Exception` on the way swallows it."""

    def __init__(self) -> None:
        super().__init__(TERMINATED)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


@contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """SIGTERM raises Terminated in the main thread while inside; the handler before is restored after.
    Outside the main thread (signals cannot be handled there) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def end_processes(processes: Iterable[BaseProcess], seconds: float = END_SECONDS) -> None:
    """Terminate the processes, give them `seconds` to exit, kill those left, and reap them all."""
    alive = [p for p in processes if p.is_alive()]
    for process in alive:
        process.terminate()
    deadline = time.monotonic() + seconds
    for process in alive:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in alive:
        if process.is_alive():
            process.kill()
            process.join()


@cache
def reap_tracker_at_exit() -> None:
    """Have the driver stop and reap multiprocessing's resource tracker when it exits, after the other exit
    finalizers (which unregister the semaphores it tracks), instead of leaving it to init as a zombie."""
    from multiprocessing import util  # not on the path of a command that starts no process

    util.Finalize(None, _stop_tracker, exitpriority=-100)


def _stop_tracker() -> None:
    from multiprocessing import resource_tracker

    tracker = resource_tracker._resource_tracker
    if getattr(tracker, "_pid", None) is not None and hasattr(tracker, "_stop"):  # started by this process
        tracker._stop()


def start_as_worker(driver: int) -> None:
    """Run first in each worker process: SIGINT is left to the driver, and the driver is watched."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch, args=(driver,), name="traingate-driver-watch", daemon=True).start()


def _watch(driver: int) -> None:
    """Exit once the driver is no longer this process's parent (it died; init or a subreaper adopted us)."""
    while os.getppid() == driver:
        time.sleep(WATCH_SECONDS)
    from traingate.data.spill import SPILL_DIR_ENV

    if folder := os.environ.get(SPILL_DIR_ENV):  # the run is over: no one else will remove it
        shutil.rmtree(folder, ignore_errors=True)
    os._exit(1)
