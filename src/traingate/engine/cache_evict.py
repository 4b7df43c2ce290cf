"""Listing and evicting a cache directory's entries: least recently used first (an entry's mtime, which a read
moves), with the spill files kept beside each; removal holds the directory's lock exclusively (cache_files.locked),
so two runs do not both count and remove, and no prune removes the copies of an entry being written."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass

from traingate.engine.cache_entry import MAX_HEADER, BadEntry, header_of
from traingate.engine.cache_files import locked, open_regular
from traingate.engine.cache_spill import SUFFIX as SPILL_SUFFIX
from traingate.engine.cache_spill import discard_copies, entry_of
from traingate.engine.cache_store import ENTRIES, SUFFIX

ORPHANS = "(spill files of no entry: a writer died, or is writing it)"
STALE_SECONDS = 3600.0  # a temporary or spill file of no entry this old is not one a writer still uses


@dataclass(frozen=True)
class Stored:
    path: str
    bytes: int
    used: float  # when it was last written or read (mtime)
    label: str
    orphan: bool = False  # spill files kept for an entry that is not there (`path` names that entry)



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
