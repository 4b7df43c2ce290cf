"""Row-aligned uint64 columns of a check's state, in memory or spilled to disk.

Checks whose every row must meet every other (near duplicates, split leakage) cannot keep a share of
their rows; when the run's memory limit (`--max-memory`) is reached they write the columns they hold to a
temporary file instead and read them back one column at a time at the end, so the final grouping needs
memory for one key column, not all. Files go to the run's spill directory (removed when the run ends, or
when the process exits) on the machine that wrote them. The directory is made in the temporary folder
(TMPDIR) and named by the driver's pid and host (traingate-spill-<pid>-<host>-*): a driver killed with SIGKILL
cannot remove its own, so each run first removes the folders of this host's pids that no longer run. A file that cannot be written
(a full disk) is a SpillError naming the folder, never a half-written file read back.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from traingate.errors import TraingateError

SPILL_DIR_ENV = "TRAINGATE_SPILL_DIR"
HOST = re.sub(r"[^A-Za-z0-9.]", "", socket.gethostname()) or "host"  # a temporary folder may be shared
_NAMED = re.compile(r"traingate-spill-(\d+)-(.*)-[a-z0-9_]{8}")


class SpillError(TraingateError):
    """A spill file cannot be written (a full disk, no permission): the run errs (exit 3), naming the folder."""

    @classmethod
    def unwritable(cls, folder: object, exc: OSError) -> SpillError:
        return cls(f"cannot write to the spill folder {folder}: {exc.strerror or exc}; free space there or set "
                   "TMPDIR to a folder with room (the spill folder is made in TMPDIR)")


def _new_dir() -> str:
    return tempfile.mkdtemp(prefix=f"traingate-spill-{os.getpid()}-{HOST}-")


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def sweep_stale(folder: str | None = None) -> list[str]:
    """Remove the spill folders in `folder` (the temporary folder) whose driver no longer runs, as a driver
    killed with SIGKILL leaves them; a folder of another user or host, or of a pid now reused, stays. Returns them."""
    removed = []
    with os.scandir(folder or tempfile.gettempdir()) as entries:
        for entry in entries:
            named = _NAMED.fullmatch(entry.name)
            if not named:  # most of a temporary folder: not stat-ed
                continue
            try:
                mine = entry.is_dir(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_uid == os.getuid()
            except OSError:
                continue
            if mine and named.group(2) == HOST and not _running(int(named.group(1))):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(entry.path)
    return removed


@lru_cache(maxsize=1)
def _own_dir() -> Path:
    path = Path(_new_dir())
    atexit.register(shutil.rmtree, path, True)
    return path


@contextmanager
def run_spill_dir(enabled: bool) -> Iterator[None]:
    """A spill directory for one run, seen by the worker processes it starts and removed when it ends."""
    if not enabled:
        yield
        return
    sweep_stale()
    before, path = os.environ.get(SPILL_DIR_ENV), _new_dir()
    os.environ[SPILL_DIR_ENV] = path
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(SPILL_DIR_ENV, None)
        else:
            os.environ[SPILL_DIR_ENV] = before
        shutil.rmtree(path, ignore_errors=True)


def spill_dir() -> Path:
    """The run's spill directory (set by the runner for its workers too; made on a node of a cluster that
    lacks it), else one of this process."""
    given = os.environ.get(SPILL_DIR_ENV)
    if not given:
        return _own_dir()
    Path(given).mkdir(parents=True, exist_ok=True)
    return Path(given)


@dataclass(frozen=True)
class Spilled:
    """One file holding (width x rows) uint64: a column is contiguous on disk."""

    path: str
    rows: int

    def column(self, j: int) -> np.ndarray:
        return np.array(np.load(self.path, mmap_mode="r")[j])


def _write(path: Path, tables: list[np.ndarray], width: int, rows: int) -> None:
    """(width x rows) uint64 as .npy, one column at a time, with plain writes: a full disk is an OSError
    here, where a memory map of a file that could not grow killed the process with SIGBUS."""
    with open(path, "wb") as out:
        np.lib.format.write_array_header_1_0(out, {"descr": np.lib.format.dtype_to_descr(np.dtype(np.uint64)),
                                                   "fortran_order": False, "shape": (width, rows)})
        for j in range(width):
            out.write(np.ascontiguousarray(np.concatenate([t[:, j] for t in tables]), dtype=np.uint64).data)


@dataclass
class Rows:
    """A check's per-row columns: (n, width) uint64 tables per batch in memory, then spilled files."""

    memory: list[np.ndarray] = field(default_factory=list)
    disk: list[Spilled] = field(default_factory=list)

    def __len__(self) -> int:
        return sum(len(t) for t in self.memory) + sum(s.rows for s in self.disk)

    def add(self, table: np.ndarray) -> None:
        if len(table):
            self.memory.append(table.astype(np.uint64, copy=False))

    def merge(self, other: Rows) -> Rows:
        return Rows(self.memory + other.memory, self.disk + other.disk)

    def width(self) -> int:
        if self.memory:
            return int(self.memory[0].shape[1])
        return int(np.load(self.disk[0].path, mmap_mode="r").shape[0]) if self.disk else 0

    def spill(self) -> int:
        """Write the rows held in memory to one file and let them go; returns how many were written."""
        rows = sum(len(t) for t in self.memory)
        if not rows:
            return 0
        path = spill_dir() / f"{uuid.uuid4().hex}.npy"
        try:
            _write(path, self.memory, self.width(), rows)
        except OSError as exc:
            path.unlink(missing_ok=True)
            raise SpillError.unwritable(path.parent, exc) from exc
        self.memory, self.disk = [], [*self.disk, Spilled(str(path), rows)]
        return rows

    def load(self) -> None:
        """Read the files back into memory and remove them: a state leaving a node of a Ray cluster, whose
        disk the driver cannot read."""
        if self.disk:
            self.memory, self.disk = [self.table()], []

    def column(self, j: int) -> np.ndarray:
        """Column j over every row: batches in memory first, then the files, in the order they were added."""
        parts = [t[:, j] for t in self.memory] + [s.column(j) for s in self.disk]
        return np.concatenate(parts) if parts else np.zeros(0, np.uint64)

    def table(self) -> np.ndarray:
        """Every row and column in memory (n, width), the files read back and removed."""
        width = self.width()
        spilled = [np.load(s.path).T for s in self.disk]
        for s in self.disk:
            Path(s.path).unlink(missing_ok=True)
        parts = self.memory + spilled
        return np.concatenate(parts) if parts else np.zeros((0, width), np.uint64)
