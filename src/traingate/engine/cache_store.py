"""A cache directory: entries under `entries/`, each in its own file named by its key, signed with a key kept
outside the directory (cache_files.secret_key). Reading an entry marks it used (its mtime), so the least recently
used go first when the directory passes its bound (cache_evict.py); a write holds the directory's lock shared,
so that no prune removes the spill copies of an entry being written."""

from __future__ import annotations

import os
from contextlib import suppress
from typing import Any

from traingate.engine.cache_decode import decode
from traingate.engine.cache_entry import BadEntry, encode
from traingate.engine.cache_files import locked, read_entry, secret_key, write_atomic
from traingate.engine.cache_spill import Keeper, Restorer, discard_copies

ENTRIES = "entries"
SUFFIX = ".entry"


class SymlinkedFolder(OSError):
    """A folder of the cache's entries is a symbolic link."""


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
