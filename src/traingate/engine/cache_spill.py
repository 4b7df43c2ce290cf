"""Spill files kept in the cache. A state whose rows went to disk (a check that spills under --max-memory,
findings past their bound with --evidence or --rejects) points at files in the run's spill folder, which goes
when the run ends. Its entry keeps a copy of each such file beside it, named by the entry's key and the file's
sha256; the entry's payload holds that sha256, the file's length and its row count in place of the path, under
the entry's HMAC. A later run copies each file back into its own spill folder (gone when that run ends),
hashing as it copies, so what it reads is what it hashed. A copy that is missing, is not a regular file (a
symlink or a FIFO is neither followed nor waited on), is not the length the entry names (it is not read) or
does not hold what the entry names makes the entry untrusted (ignored with a warning and folded again). A spill
folder that cannot be written is a SpillError, as when a fold spills, and the entry stays. The copies go with
their entry when it is evicted, discarded or written again naming other files; a put that fails removes the
copies it made."""

from __future__ import annotations

import glob
import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any, BinaryIO

from traingate.data.spill import SPILL_DIR_ENV, Spilled, SpillError, spill_dir
from traingate.engine.cache_entry import BadEntry
from traingate.engine.cache_files import open_regular

SUFFIX = ".spill"
CHUNK = 4 << 20
TAG = "traingate-spilled"


class SpillMissing(BadEntry):
    """A spill file an entry names is missing or not the one it names."""


def copies_of(entry_path: str) -> list[str]:
    """The spill files kept beside an entry (`<entry>.<sha256>.spill`)."""
    return glob.glob(glob.escape(entry_path) + ".*" + SUFFIX)


def entry_of(spill_path: str) -> str:
    """The entry a kept spill file belongs to."""
    return spill_path[: -len(SUFFIX)].rsplit(".", 1)[0]


def _copy(chunks: Iterator[bytes], out: BinaryIO) -> tuple[str, int]:
    """The chunks written to `out`: their sha256 and length."""
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += out.write(chunk)
    return digest.hexdigest(), size


def _chunks(source: BinaryIO, size: int | None = None) -> Iterator[bytes]:
    """The bytes of `source`, at most `size` of them."""
    left = size
    while left is None or left > 0:
        chunk = source.read(CHUNK if left is None else min(CHUNK, left))
        if not chunk:
            return
        if left is not None:
            left -= len(chunk)
        yield chunk


class Keeper:
    """`persistent_id` of the pickler that writes an entry at `entry_path`: each spilled file copied beside it.
    `names`: the copies the entry names; `undo()` removes those this put made, when the entry was not written."""

    def __init__(self, entry_path: str) -> None:
        self.entry_path = entry_path
        self.names: set[str] = set()
        self.made: list[str] = []

    def __call__(self, obj: Any) -> Any:
        if not isinstance(obj, Spilled):
            return None
        folder = os.path.dirname(self.entry_path)
        os.makedirs(folder, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out, open(obj.path, "rb") as data:
                sha, size = _copy(_chunks(data), out)
            kept = f"{self.entry_path}.{sha}{SUFFIX}"
            made = not os.path.lexists(kept)
            os.replace(temp, kept)
        except BaseException:
            with suppress(OSError):
                os.unlink(temp)
            raise
        self.names.add(kept)
        self.made += [kept] if made else []
        return (TAG, sha, obj.rows, size)

    def undo(self) -> None:
        for path in self.made:
            with suppress(OSError):
                os.unlink(path)


def _named(pid: Any) -> tuple[str, int, int]:
    """The sha256, row count and length a persistent id names."""
    if not (isinstance(pid, tuple) and len(pid) == 4 and pid[0] == TAG and isinstance(pid[1], str)
            and len(pid[1]) == 64 and all(c in "0123456789abcdef" for c in pid[1])
            and all(type(n) is int and n >= 0 for n in pid[2:])):
        raise SpillMissing(f"it names an unknown persistent object {repr(pid)[:100]}")
    return pid[1], pid[2], pid[3]


class Restorer:
    """`persistent_load` of the unpickler that reads the entry at `entry_path`: each kept file copied into this
    run's spill folder, checked against the sha256 and length the signed payload names."""

    def __init__(self, entry_path: str) -> None:
        self.entry_path = entry_path

    def __call__(self, pid: Any) -> Spilled:
        sha, rows, size = _named(pid)
        what = f"its spill file {sha[:12]}…"
        try:
            source = open_regular(f"{self.entry_path}.{sha}{SUFFIX}", what)
        except OSError as exc:
            raise SpillMissing(f"{what} cannot be read: {exc.strerror or exc}") from exc
        with source:
            length = os.fstat(source.fileno()).st_size
            if length != size:
                raise SpillMissing(f"{what} holds {length} bytes, not the {size} the entry names")
            return Spilled(str(_restored(source, size, sha)), rows)


def _read(source: BinaryIO, size: int, sha: str) -> Iterator[bytes]:
    try:
        yield from _chunks(source, size)
    except OSError as exc:
        raise SpillMissing(f"its spill file {sha[:12]}… cannot be read: {exc.strerror or exc}") from exc


def _restored(source: BinaryIO, size: int, sha: str) -> Path:
    """`size` bytes of `source` copied into this run's spill folder, if they hash to `sha`."""
    path: Path | None = None
    try:
        try:
            path = spill_dir() / f"{uuid.uuid4().hex}.npy"
            with open(path, "wb") as out:
                found, _ = _copy(_read(source, size, sha), out)
        except OSError as exc:
            folder = path.parent if path is not None else os.environ.get(SPILL_DIR_ENV, "of this run")
            raise SpillError.unwritable(folder, exc) from exc
        if found != sha:
            raise SpillMissing(f"its spill file {sha[:12]}… does not hold what the entry names")
    except BaseException:
        if path is not None:
            path.unlink(missing_ok=True)
        raise
    return path


def discard_copies(entry_path: str, keep: set[str] | frozenset[str] = frozenset()) -> int:
    """Remove the spill files kept beside an entry, but those in `keep`; the bytes freed."""
    freed = 0
    for path in (p for p in copies_of(entry_path) if p not in keep):
        with suppress(OSError):
            size = os.lstat(path).st_size
            os.unlink(path)
            freed += size
    return freed
