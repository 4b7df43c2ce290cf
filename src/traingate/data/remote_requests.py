"""How far a request to a remote store may go: the bytes it fetches beyond what a read asks
(TRAINGATE_REMOTE_BLOCK_BYTES) and how long it may take (TRAINGATE_REMOTE_TIMEOUT); `within` gives up a call of
a synchronous client (the hub's, which takes no deadline) after that time, as NoAnswer."""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from traingate.errors import UsageError

DEFAULT_BLOCK_BYTES = 4 << 20
DEFAULT_REQUEST_SECONDS = 120.0
T = TypeVar("T")


def block_bytes() -> int:
    """The bytes a remote file fetches per request beyond what a read asks: TRAINGATE_REMOTE_BLOCK_BYTES,
    default 4 MiB."""
    return max(1 << 16, int(os.environ.get("TRAINGATE_REMOTE_BLOCK_BYTES", DEFAULT_BLOCK_BYTES)))


def request_seconds() -> float:
    """How long a request to a store (listing a URL, opening an object; a read, beside one second per MB it
    asks for) may take before the run stops: TRAINGATE_REMOTE_TIMEOUT, default 120 s. An endpoint that
    accepts connections and never answers would otherwise hold the run for the store client's retries of its
    timeouts (an hour for S3's defaults). 0 is no deadline, as fsspec takes it; a negative, infinite or
    non-number value is a UsageError naming it."""
    raw = os.environ.get("TRAINGATE_REMOTE_TIMEOUT") or str(DEFAULT_REQUEST_SECONDS)
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds < math.inf:
        raise UsageError(f"TRAINGATE_REMOTE_TIMEOUT={raw!r}: not a number of seconds (0 for no deadline)")
    return seconds


class NoAnswer(TimeoutError):
    """A store client did not answer a request (a listing, an open, a read) within the deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no answer in {seconds:.4g} s")
        self.seconds = seconds


def within(seconds: float, call: Callable[[], T]) -> T:
    """`call` in a daemon thread, given up after `seconds` (NoAnswer; 0 waits for it): a synchronous client
    (the hub's) takes no deadline, and one that never answers would hold the run. The abandoned thread ends
    with the process."""
    if not seconds:
        return call()
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    thread = threading.Thread(target=run, name="traingate-remote", daemon=True)
    thread.start()
    thread.join(min(seconds, threading.TIMEOUT_MAX))
    if thread.is_alive():
        raise NoAnswer(seconds)
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value
