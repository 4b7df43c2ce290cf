"""A cache directory: entries under `entries/`, each in its own file named by its key, signed with a key kept
outside the directory (cache_files.secret_key). Reading an entry marks it used (its mtime), so the least recently
used go first when the directory passes its bound; eviction holds an exclusive lock (`lock`) so two runs do not
both count and remove."""

from __future__ import annotations

import fcntl
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from traingate.engine.cache_entry import BadEntry, decode, encode, header_of
from traingate.engine.cache_files import MAX_HEADER, open_regular, read_entry, secret_key, write_atomic
from traingate.engine.cache_spill import SUFFIX as SPILL_SUFFIX
from traingate.engine.cache_spill import Keeper, Restorer, discard_copies, entry_of

ENTRIES = "entries"
SUFFIX = ".entry"
ORPHANS = "(spill files of no entry: a writer died, or is writing it)"
STALE_SECONDS = 3600.0  # a temporary or spill file of no entry this old is not one a writer still uses


class SymlinkedFolder(OSError):
    """A folder of the cache's entries is a symbolic link."""


@dataclass(frozen=True)
class Stored:
    path: str
    bytes: int
    used: float  # when it was last written or read (mtime)
    label: str
    orphan: bool = False  # spill files kept for an entry that is not there (`path` names that entry)


class Store:
    """Entries of one cache directory, made on first use."""

    def __init__(self, directory: str) -> None:
        self.directory = os.path.abspath(directory)
        os.makedirs(os.path.join(self.directory, ENTRIES), mode=0o700, exist_ok=True)
        self.key = secret_key()

    def path(self, entry_key: str) -> str:
        """Where the entry lives; SymlinkedFolder when `entries/` or its folder is a symbolic link (whoever can
        write the cache directory could point it elsewhere: entries would be read, written and removed there)."""
        folder = os.path.join(self.directory, ENTRIES, entry_key[:2])
        for place in (os.path.dirname(folder), folder):
            if os.path.islink(place):
                raise SymlinkedFolder(f"{place} is a symbolic link; traingate neither follows nor replaces it")
        return os.path.join(folder, entry_key + SUFFIX)

    def has(self, entry_key: str) -> bool:
        try:
            return os.path.exists(self.path(entry_key))
        except SymlinkedFolder:
            return False

    def get(self, entry_key: str) -> Any:
        """The entry's value; FileNotFoundError when there is none, BadEntry when it must not be trusted."""
        try:
            path = self.path(entry_key)
        except SymlinkedFolder as exc:
            raise BadEntry(str(exc)) from exc
        blob = read_entry(path)
        value = decode(self.key, entry_key, blob, Restorer(path))
        with suppress(OSError):  # used now: the last to be evicted (another run may just have removed it)
            os.utime(path, follow_symlinks=False)  # a link swapped in since the read: its own time, not its target's
        return value

    def put(self, entry_key: str, value: Any, label: str) -> int:
        path = self.path(entry_key)
        with locked(self.directory, shared=True):  # a prune waits: it would remove the copies being made
            keeper, again = Keeper(path), os.path.lexists(path)
            try:
                blob = encode(self.key, entry_key, value, label, keeper)  # spill files copied beside it first
                write_atomic(path, blob)
            except BaseException:
                keeper.undo()  # the copies it made, which no entry names
                raise
            if again:  # the copies of what it held before (spilled at other points) go; a new entry has none
                discard_copies(path, keep=keeper.names)
        return len(blob)

    def discard(self, entry_key: str) -> None:
        try:
            path = self.path(entry_key)
        except SymlinkedFolder:
            return
        with suppress(OSError):
            os.unlink(path)
        discard_copies(path)


def entries(directory: str) -> list[Stored]:
    """Every entry of the directory with the spill files kept beside it (cache_spill.py), least recently used
    first (half-written temporary files are skipped). Spill files whose entry is not there (a writer that died
    after copying them, or one writing it now) count as one more, `orphan`: they hold disk as well."""
    found: list[Stored] = []
    for folder, _dirs, names in _walk(directory):
        kept: dict[str, tuple[int, float]] = {}
        for name in (n for n in names if n.endswith(SPILL_SUFFIX)):
            owner, (size, used) = entry_of(os.path.join(folder, name)), _stat(os.path.join(folder, name))
            held = kept.get(owner, (0, 0.0))
            kept[owner] = (held[0] + size, max(held[1], used))
        for name in (n for n in names if n.endswith(SUFFIX)):
            path = os.path.join(folder, name)
            try:
                info = os.lstat(path)
            except OSError:  # removed by another run meanwhile
                continue
            found.append(Stored(path, info.st_size + kept.pop(path, (0, 0.0))[0], info.st_mtime, _label(path)))
        found += [Stored(owner, size, used, ORPHANS, orphan=True) for owner, (size, used) in kept.items()]
    return sorted(found, key=lambda s: (s.used, s.path))


def _walk(directory: str) -> Iterator[tuple[str, list[str], list[str]]]:
    """The folders of the entries, never through a symbolic link (`entries/` itself included: listing or
    pruning must not count or remove files elsewhere)."""
    top = os.path.join(directory, ENTRIES)
    if not os.path.islink(top):
        yield from os.walk(top)


def _stat(path: str) -> tuple[int, float]:
    try:
        info = os.lstat(path)
    except OSError:
        return 0, 0.0
    return info.st_size, info.st_mtime


def _label(path: str) -> str:
    try:
        with open_regular(path) as source:
            return str(header_of(source.readline(MAX_HEADER) + b"\n")[0].get("label", ""))
    except (OSError, BadEntry):
        return "(unreadable)"


def _stale_temporaries(directory: str, older_than: float = STALE_SECONDS) -> None:
    """Temporary files of writers that died before renaming them, and spill files whose entry is gone (a
    writer that died between copying them and writing the entry)."""
    now = time.time()
    for folder, _dirs, names in _walk(directory):
        for name in names:
            path = os.path.join(folder, name)
            orphan = name.endswith(SPILL_SUFFIX) and not os.path.lexists(entry_of(path))
            with suppress(OSError):
                if (name.startswith(".tmp-") or orphan) and now - os.lstat(path).st_mtime > older_than:
                    os.unlink(path)


@contextmanager
def locked(directory: str, shared: bool = False) -> Iterator[None]:
    """`DIR/lock` held: exclusively by a prune, shared by a write (so that a prune never removes the spill
    copies of an entry being written). The lock file is neither followed as a symlink nor waited on as a FIFO:
    an OSError when it is not a regular file."""
    os.makedirs(directory, exist_ok=True)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | os.O_CLOEXEC
    fd = os.open(os.path.join(directory, "lock"), flags, 0o600)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{os.path.join(directory, 'lock')} is not a regular file")
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def prune(directory: str, max_bytes: int | None) -> tuple[int, int]:
    """Least recently used entries removed until the rest fit in `max_bytes` (None: all of them), and stale
    temporary files of runs that died while writing; returns (entries removed, bytes freed)."""
    removed = freed = 0
    with locked(directory):
        _stale_temporaries(directory)
        stored = entries(directory)
        total = sum(s.bytes for s in stored)
        for entry in stored:
            if max_bytes is not None and total <= max_bytes:
                break
            if entry.orphan:  # counted, but removed only once no writer can be using them (_stale_temporaries)
                continue
            with suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed, freed = removed + 1, freed + entry.bytes
            discard_copies(entry.path)
            total -= entry.bytes
    return removed, freed
