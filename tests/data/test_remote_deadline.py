"""A store whose client is synchronous (the hub's) takes no deadline of its own: the listing runs in a thread
given up after TRAINGATE_REMOTE_TIMEOUT, and the run stops naming it instead of waiting for ever."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from traingate.data import remote
from traingate.errors import SourceError

fsspec = pytest.importorskip("fsspec")
RELEASE = threading.Event()


class SilentHub(fsspec.AbstractFileSystem):  # type: ignore[misc]
    """A synchronous filesystem whose listing never answers until the test lets it go."""

    protocol = "silenthub"

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        RELEASE.wait(60)
        raise FileNotFoundError(path)

    def glob(self, path: str, **kwargs: Any) -> dict[str, Any]:
        RELEASE.wait(60)
        return {}


@pytest.fixture
def silent(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    fsspec.register_implementation("silenthub", SilentHub, clobber=True)
    monkeypatch.setenv("TRAINGATE_REMOTE_TIMEOUT", "1")
    RELEASE.clear()
    yield
    RELEASE.set()  # the abandoned listing thread ends


@pytest.mark.parametrize("url, magic", [("silenthub://data/train.jsonl", False), ("silenthub://data/*.jsonl", True)])
def test_a_synchronous_store_that_never_answers_stops_the_listing(silent: None, url: str, magic: bool) -> None:
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"no answer from the store in 1 s \(TRAINGATE_REMOTE_TIMEOUT\)"):
        remote.list_objects(url, magic)
    assert time.monotonic() - started < 10


def test_a_synchronous_listing_that_answers_gives_its_error_or_value() -> None:
    with pytest.raises(KeyError):
        remote.within(5, lambda: {}["missing"])
    assert remote.within(5, lambda: 7) == 7
