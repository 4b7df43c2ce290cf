"""Spill files kept in the cache. A state whose rows went to disk (a check that spills under --max-memory,
findings past their bound with --evidence or --rejects) points at files in the run's spill folder, which goes
when the run ends. Its entry keeps a copy of each such file beside it, named by the entry's key and the file's
sha256; the entry's payload holds that sha256 and the row count in place of the path, under the entry's HMAC.
A later run copies each file back into its own spill folder, hashing as it copies, so what it reads is what
it hashed: a file that is missing or is not the one the entry names makes the entry untrusted (ignored with a
warning and folded again). The copies go with their entry when it is evicted or discarded."""

from __future__ import annotations

import glob
import hashlib
import os
import tempfile
import uuid
from contextlib import suppress
from typing import Any

from traingate.data.spill import Spilled, spill_dir
from traingate.engine.cache_entry import BadEntry

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


def _copy_hashing(source: str, target: Any) -> str:
    digest = hashlib.sha256()
    with open(source, "rb") as data:
        while chunk := data.read(CHUNK):
            digest.update(chunk)
            target.write(chunk)
    return digest.hexdigest()


class Keeper:
    """`persistent_id` of the pickler that writes an entry at `entry_path`: each spilled file copied beside it."""

    def __init__(self, entry_path: str) -> None:
        self.entry_path = entry_path

    def __call__(self, obj: Any) -> Any:
        if not isinstance(obj, Spilled):
            return None
        folder = os.path.dirname(self.entry_path)
        os.makedirs(folder, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                sha = _copy_hashing(obj.path, out)
            os.replace(temp, f"{self.entry_path}.{sha}{SUFFIX}")
        except BaseException:
            with suppress(OSError):
                os.unlink(temp)
            raise
        return (TAG, sha, obj.rows)


class Restorer:
    """`persistent_load` of the unpickler that reads the entry at `entry_path`: each kept file copied into this
    run's spill folder, checked against the sha256 the signed payload names."""

    def __init__(self, entry_path: str) -> None:
        self.entry_path = entry_path

    def __call__(self, pid: Any) -> Spilled:
        if not (isinstance(pid, tuple) and len(pid) == 3 and pid[0] == TAG and isinstance(pid[1], str)
                and isinstance(pid[2], int) and len(pid[1]) == 64 and all(c in "0123456789abcdef" for c in pid[1])):
            raise SpillMissing(f"it names an unknown persistent object {pid!r}")
        _tag, sha, rows = pid
        path = spill_dir() / f"{uuid.uuid4().hex}.npy"
        try:
            with open(path, "wb") as out:
                found = _copy_hashing(f"{self.entry_path}.{sha}{SUFFIX}", out)
        except OSError as exc:
            path.unlink(missing_ok=True)
            raise SpillMissing(f"its spill file {sha[:12]}… cannot be read: {exc.strerror or exc}") from exc
        if found != sha:
            path.unlink(missing_ok=True)
            raise SpillMissing(f"its spill file {sha[:12]}… does not hold what the entry names")
        return Spilled(str(path), rows)


def discard_copies(entry_path: str) -> int:
    """Remove the spill files kept beside an entry; the bytes freed."""
    freed = 0
    for path in copies_of(entry_path):
        with suppress(OSError):
            size = os.stat(path).st_size
            os.unlink(path)
            freed += size
    return freed
