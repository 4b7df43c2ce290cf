"""Writing an output: to a temporary file in the same folder, renamed over the target when complete, so a
crash or a full disk never leaves half a report, and an existing file is replaced whole or not at all.
A device or a pipe (/dev/stdout, a FIFO) is written in place. Failures are OutputError (exit 3)."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from traingate.errors import OutputError


def _problem(path: Path, exc: OSError) -> OutputError:
    return OutputError(f"cannot write {path}: {exc.strerror or exc}")


@contextlib.contextmanager
def atomic_writer(path: str | Path) -> Iterator[TextIO]:
    """A text file to write `path` through; it replaces `path` only when the block ends without an error."""
    target = Path(path)
    try:
        info = target.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise _problem(target, exc) from exc
    if info is not None and not stat.S_ISREG(info.st_mode):
        if stat.S_ISDIR(info.st_mode):
            raise OutputError(f"cannot write {target}: it is a directory")
        with _opened(target, lambda: target.open("w", encoding="utf-8", errors="backslashreplace")) as stream:
            yield stream
        return
    if info is not None and not info.st_mode & 0o222:
        raise OutputError(f"cannot write {target}: the file is read-only")
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666
    try:
        with _opened(target, lambda: os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "w",
                                                encoding="utf-8", errors="backslashreplace")) as stream:
            yield stream
        os.replace(temporary, target)
    except OSError as exc:
        raise _problem(target, exc) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


@contextlib.contextmanager
def _opened(target: Path, opener: Callable[[], TextIO]) -> Iterator[TextIO]:
    """Open with `opener`, yield, flush and close; an OSError on the way (ENOSPC at close) is an OutputError."""
    try:
        stream = opener()
    except OSError as exc:
        raise _problem(target, exc) from exc
    try:
        yield stream
        stream.flush()
    except OSError as exc:
        raise _problem(target, exc) from exc
    finally:
        with contextlib.suppress(OSError):
            stream.close()


def write_text(path: str | Path, text: str) -> None:
    """`text` to `path`, atomically (lone surrogates written as \\udxxx rather than failing)."""
    with atomic_writer(path) as stream:
        stream.write(text)
