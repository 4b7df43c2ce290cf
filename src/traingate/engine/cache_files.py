"""The files of a cache entry: the secret entries are signed with (kept outside the cache directory), an entry
read without following a link, waiting on a FIFO or reading more than its header gives, and an entry written
whole (a temporary file renamed over it)."""

from __future__ import annotations

import fcntl
import hashlib
import io
import mmap
import os
import secrets
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import BinaryIO, cast

import numpy as np

from traingate.engine.cache_entry import MAX_HEADER, BadEntry, parse_header

KEY_ENV, KEY_FILE_ENV = "TRAINGATE_CACHE_KEY", "TRAINGATE_CACHE_KEY_FILE"
MIN_KEY_CHARS = 16  # a TRAINGATE_CACHE_KEY shorter than this is refused
MAPPED_BYTES = 1 << 20  # an entry of this size or more is read into memory whose pages are mapped at once


def key_file() -> str:
    """Where this user's cache key lives when TRAINGATE_CACHE_KEY is not set."""
    named = os.environ.get(KEY_FILE_ENV)
    if named:
        return named
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(config, "traingate", "cache.key")


def secret_key() -> bytes:
    """The key entries are signed with: TRAINGATE_CACHE_KEY, or this user's key file, made on first use (0600).
    A key file that is not a regular file of this user readable only by them is refused: whoever could write it
    could forge entries."""
    given = os.environ.get(KEY_ENV)
    if given is not None:
        if len(given) < MIN_KEY_CHARS:
            raise PermissionError(f"{KEY_ENV} is shorter than {MIN_KEY_CHARS} characters: give a long random secret")
        return hashlib.sha256(given.encode()).digest()
    path = key_file()
    os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32))
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise PermissionError(f"{path}: the cache key must be a regular file of this user with mode 0600")
    for _ in range(100):  # another run that made it a moment ago may still be writing its 32 bytes
        with open(path, "rb") as source:
            key = source.read()
        if len(key) >= 32:
            return key
        time.sleep(0.01)
    raise PermissionError(f"{path}: the cache key is shorter than 32 bytes")


def read_entry(path: str) -> memoryview:
    """The entry file's bytes, read only once its length is the one its header gives: a file planted in the
    cache directory, however large, costs a read of its first line (BadEntry). They are read into memory not
    zeroed first (a bytearray is: 48 ms rather than 17 for an entry of 49 MB), writable: the arrays of the
    state are views of them (decode), not copied again (_memory)."""
    with open_regular(path) as source:
        size = os.fstat(source.fileno()).st_size
        header, start = parse_header(source.readline(MAX_HEADER))
        expected = header.get("bytes")
        if not isinstance(expected, int) or size != start + expected:
            raise BadEntry(f"{size} bytes, where its header gives {expected!r} after {start}")
        source.seek(0)
        blob = _memory(size)
        if cast(io.BufferedReader, source).readinto(blob) != size:
            raise BadEntry("shorter than when it was opened")
        return blob


def _memory(size: int) -> memoryview:
    """`size` writable bytes of this process's own. A large entry's pages are mapped in one call
    (MAP_POPULATE) rather than each on the read's first touch: for the 49 MB entry of the incremental
    benchmark, 22 to 35 ms with the read against 17 to 88 ms (the read 5 to 10 ms of each), page faults
    on a virtual machine varying most. Anonymous and private: the entry file itself is never mapped, so
    what was verified is what is used, and a file cut short under a run cannot kill it with SIGBUS."""
    populate = getattr(mmap, "MAP_POPULATE", 0)
    if size < MAPPED_BYTES or not populate:
        return np.empty(size, dtype=np.uint8).data
    return memoryview(mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | populate))


def _regular(path: str, flags: int, refused: Exception) -> int:
    """`path` opened with `flags`, neither following a symlink nor waiting on a FIFO (whoever can write the
    cache directory could plant one: a run would hang on it); `refused` raised when it is not a regular file."""
    fd = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | os.O_CLOEXEC, 0o600)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise refused
        return fd
    except BaseException:
        os.close(fd)
        raise


def open_regular(path: str, what: str = "the entry") -> BinaryIO:
    """`path` opened for reading (_regular); BadEntry when it is not a regular file."""
    return os.fdopen(_regular(path, os.O_RDONLY, BadEntry(f"{what} is not a regular file")), "rb")


def write_atomic(path: str, blob: bytes) -> None:
    """Written to a temporary file beside `path`, then renamed over it: a reader sees the old entry or the
    new one, never half of one, and two runs writing the same entry leave one whole."""
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(blob)
        os.replace(temp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temp)
        raise


@contextmanager
def locked(directory: str, shared: bool = False) -> Iterator[None]:
    """`DIR/lock` held: exclusively by a prune, shared by a write (so that a prune never removes the spill
    copies of an entry being written). The lock file is neither followed as a symlink nor waited on as a FIFO:
    an OSError when it is not a regular file."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "lock")
    fd = _regular(path, os.O_RDWR | os.O_CREAT, OSError(f"{path} is not a regular file"))
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
