"""A remote object opened for reading: each read one ranged request of what it asks for, with a bounded
block for short reads; the store's errors become OSErrors naming the URL redacted. A file read from its first
byte to its last in order (a JSON lines or compressed object read whole in this process) hashes what it reads
and, closed, leaves the sha256 for the run's record (remote_digest.py), which then need not fetch it again."""

from __future__ import annotations

import hashlib
from typing import Any

from traingate.data.remote import etag_of, filesystem
from traingate.data.remote_digest import publish
from traingate.data.remote_errors import changed, failure, resized
from traingate.data.remote_requests import block_bytes, request_seconds, within


class RemoteFile:
    """An fsspec file whose errors are OSErrors naming the URL redacted (the readers turn them into a
    SourceError), never a store's traceback or its secrets."""

    def __init__(self, url: str, raw: Any, size: int | None = None, etag: str | None = None):
        self.url, self.raw, self.size, self.etag = url, raw, size, etag
        self.hashed: Any = hashlib.sha256() if size is not None else None  # None once a read skips or goes back
        self.at = 0  # where the next read in order starts

    def _hashing(self, data: bytes) -> bytes:
        if self.hashed is not None:
            self.hashed.update(data)
            self.at += len(data)
        return data

    def _guard(self, call: Any, *args: Any, asked: int = 0) -> Any:
        """One request of the store's, given up after TRAINGATE_REMOTE_TIMEOUT plus one second per MB `asked`
        (at most the rest of the object): a store that stops answering in the middle of an object would
        otherwise hold the run for its client's retries."""
        seconds = request_seconds()
        if seconds:
            seconds += (asked if self.size is None else min(asked, max(self.size - self.raw.tell(), 0))) / 1e6
        try:
            return within(seconds, lambda: call(*args))
        except Exception as exc:
            raise OSError(str(failure(self.url, exc, "cannot be read"))) from None

    def read(self, n: int = -1) -> bytes:
        """Up to `n` bytes (-1: the rest); a read of more than two blocks is fetched two blocks at a time, each
        given its own deadline, so that a store sending slowly but steadily (65 KB/s at the defaults) is read."""
        piece = 2 * getattr(self.raw, "blocksize", block_bytes())
        if n < 0 and self.size is not None:
            n = max(self.size - self.raw.tell(), 0)
        if 0 <= n <= piece:
            data: bytes = self._guard(self.raw.read, n, asked=n)
            return self._hashing(data)
        parts: list[bytes] = []
        wanted = n if n >= 0 else None  # None: to the end of an object of unknown size
        while wanted is None or wanted > 0:
            asked = piece if wanted is None else min(piece, wanted)
            got: bytes = self._guard(self.raw.read, asked, asked=asked)
            if not got:
                break
            parts.append(self._hashing(got))
            wanted = None if wanted is None else wanted - len(got)
        return b"".join(parts)

    def readline(self) -> bytes:
        line: bytes = self._guard(self.raw.readline, asked=getattr(self.raw, "blocksize", block_bytes()))
        return self._hashing(line)

    def seek(self, offset: int, whence: int = 0) -> int:
        position: int = self._guard(self.raw.seek, offset, whence)  # a request for some stores (a stream opened again)
        if position != self.at:
            self.hashed = None
        return position

    def tell(self) -> int:
        position: int = self.raw.tell()
        return position

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return bool(self.raw.closed)

    def close(self) -> None:
        if self.hashed is not None and self.at == self.size and self.raw.tell() == self.size:
            publish(self.url, self.etag, self.size, self.hashed.hexdigest())
        self.hashed = None
        self.raw.close()

    def __enter__(self) -> RemoteFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_remote(url: str, size: int | None = None, block: int | None = None,
                etag: str | None = None) -> RemoteFile:
    """A remote file for reading: each read is one ranged request (`cache_type="none"`), of what it asks
    for; `block` bounds what a short read (a line, a footer) fetches beyond itself. With the `etag` the
    listing gave, the object must still be that one: the filesystem looks it up (S3 then makes each ranged
    read conditional on it), and a newer object is an error, never read under the listed size and etag."""
    fs, inner = filesystem(url)
    options: dict[str, Any] = {"block_size": block or block_bytes(), "cache_type": "none"}
    try:
        try:  # the size listed spares a request for it, where the filesystem takes it and no etag is kept
            raw = within(request_seconds(), lambda: fs.open(inner, "rb", **options,
                                                            **({"size": size} if size and not etag else {})))
        except TypeError:
            raw = within(request_seconds(), lambda: fs.open(inner, "rb", **options))
    except Exception as exc:
        raise failure(url, exc, "cannot be opened") from None
    if etag:  # the look-up that gives the object's etag now is a request too (none is made without one)
        try:
            details = within(request_seconds(), lambda: getattr(raw, "details", None) or {})
        except Exception as exc:
            raise failure(url, exc, "cannot be opened") from None
        now, found = etag_of(details), getattr(raw, "size", None)
        if now is not None and now != etag:
            raw.close()
            raise changed(url, etag, now)
        if size is not None and found is not None and found != size:
            raw.close()
            raise resized(url, size, found)
    return RemoteFile(url, raw, size, etag)
