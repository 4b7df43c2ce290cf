"""The sha256 of a remote object without a second fetch. A run records each file's sha256; for a local file a
thread hashes it beside the pass, but for a remote object that is a second download. So the record's digest of
a remote object is deferred (`Deferred`): when it is asked for, the pass has often read the object whole, in
order, in this process (remote_file.py hashes as it reads and publishes the digest on close), and that digest
is taken; otherwise (Parquet read by row group, byte ranges on worker processes) the object is streamed and
hashed then. A digest is published under the object's URL, etag and size: an object replaced since is another."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future

_published: dict[tuple[str, str | None, int], str] = {}
_lock = threading.Lock()


def publish(url: str, etag: str | None, size: int | None, sha256: str) -> None:
    if size is not None:
        with _lock:
            _published[(url, etag, size)] = sha256


def published(url: str, etag: str | None, size: int) -> str | None:
    with _lock:
        return _published.get((url, etag, size))


class Deferred(Future[str]):
    """A digest computed when first asked for (in the asking thread), by `compute`."""

    def __init__(self, compute: Callable[[], str]) -> None:
        super().__init__()
        self._compute = compute
        self._once = threading.Lock()

    def result(self, timeout: float | None = None) -> str:
        with self._once:
            if not self.done():
                try:
                    self.set_result(self._compute())
                except BaseException as exc:
                    self.set_exception(exc)
        return super().result(timeout)
