"""How the `traingate` command ends: everything a normal exit does that anyone can observe, without the
interpreter's teardown.

A normal exit waits for the threads that are not daemons, runs the `threading` and `atexit` handlers
(multiprocessing's finalizers among them: worker pools shut down, children joined, the resource tracker
reaped; spill folders removed), flushes stdout and stderr, and then finalises every module and object,
which takes a tenth of a second or more once numpy and pyarrow are loaded and changes nothing outside the
process. `leave` does the first part in that order and then ends the process with its exit status.

Only the console entry point (`traingate.cli.app.main`) calls it; the library and in-process callers
(typer's CliRunner) keep the interpreter's own exit. When anything is left that a teardown could still
act on (a file object still open for writing), or a status SystemExit would print, it takes the normal
exit."""

from __future__ import annotations

import atexit
import os
import stat
import sys
import threading
from typing import NoReturn

try:
    import fcntl
except ImportError:  # Windows: no descriptors to list, the normal exit
    fcntl = None  # type: ignore[assignment]

FD_DIR = "/dev/fd"  # Linux and macOS


def status_of(code: str | int | None) -> int | None:
    """The exit status SystemExit(code) gives, or None when the interpreter would print `code` first."""
    if code is None:
        return 0
    if isinstance(code, bool) or not isinstance(code, int):
        return None
    return code & 0xFF


def open_writers() -> list[int]:
    """Descriptors other than 0, 1 and 2 open for writing on a regular file: a file object or a library's
    stream may still hold bytes for it that only a teardown would write."""
    found = []
    for name in os.listdir(FD_DIR):
        fd = int(name)
        try:
            if fd > 2 and stat.S_ISREG(os.fstat(fd).st_mode) and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE:
                found.append(fd)
        except OSError:  # the descriptor listdir itself used, closed since
            continue
    return found


def leave(code: str | int | None) -> NoReturn:
    """Exit with SystemExit(code)'s status after the handlers of a normal exit, skipping the teardown."""
    status = status_of(code)
    if status is None or fcntl is None or not os.path.isdir(FD_DIR):
        sys.exit(code)
    threading._shutdown()  # type: ignore[attr-defined]  # a normal exit's first step: other threads, their handlers
    atexit._run_exitfuncs()  # its second (they run once: the interpreter's own exit finds none left)
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):  # a closed pipe: the normal exit reports it, with status 120
        sys.exit(code)
    if open_writers():
        sys.exit(code)
    os._exit(status)
