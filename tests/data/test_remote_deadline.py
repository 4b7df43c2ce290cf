"""A store whose client is synchronous (the hub's) takes no deadline of its own: the listing runs in a thread
given up after TRAINGATE_REMOTE_TIMEOUT, and the run stops naming it instead of waiting for ever."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from traingate.data import remote, remote_requests
from traingate.errors import SourceError, UsageError

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
        remote_requests.within(5, lambda: {}["missing"])
    assert remote_requests.within(5, lambda: 7) == 7


class SlowHub(fsspec.AbstractFileSystem):  # type: ignore[misc]
    """A synchronous filesystem whose one object is found after SLOW seconds."""

    protocol = "slowhub"
    SLOW = 0.3

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        time.sleep(self.SLOW)
        return {"name": path, "size": 3, "type": "file"}


@pytest.fixture
def slow() -> None:
    fsspec.register_implementation("slowhub", SlowHub, clobber=True)


def test_zero_means_no_deadline_as_fsspec_takes_it(slow: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """fsspec's clients (S3, GCS, Azure) wait without a deadline when given 0: a synchronous store does too."""
    monkeypatch.setenv("TRAINGATE_REMOTE_TIMEOUT", "0")
    files, folders = remote.list_objects("slowhub://data/train.jsonl", False)
    assert [f.size for f in files] == [3] and folders == []
    assert remote_requests.within(0, lambda: 7) == 7


@pytest.mark.parametrize("value", ["-1", "nan", "abc", "inf", "1e400"])
def test_a_deadline_that_is_no_number_of_seconds_is_refused_naming_the_variable(
        slow: None, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("TRAINGATE_REMOTE_TIMEOUT", value)
    with pytest.raises(UsageError, match=r"TRAINGATE_REMOTE_TIMEOUT=.*: not a number of seconds"):
        remote.list_objects("slowhub://data/train.jsonl", False)


def test_a_deadline_longer_than_a_thread_can_wait_is_waited(slow: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINGATE_REMOTE_TIMEOUT", "1e300")
    assert [f.size for f in remote.list_objects("slowhub://data/train.jsonl", False)[0]] == [3]


def test_a_secret_in_the_url_stays_out_of_the_message(silent: None) -> None:
    url = "silenthub://user:hunter2@data/*.jsonl?X-Amz-Signature=abcdef"
    with pytest.raises(SourceError) as caught:
        remote.list_objects(url.replace("*", "train"), False)
    assert "hunter2" not in str(caught.value) and "abcdef" not in str(caught.value)


@pytest.mark.parametrize("raised", [KeyboardInterrupt, SystemExit])
def test_an_interrupt_in_the_listing_reaches_the_caller(raised: type[BaseException]) -> None:
    def call() -> None:
        raise raised()

    with pytest.raises(raised):
        remote_requests.within(5, call)


class StallingFile(fsspec.spec.AbstractBufferedFile):  # type: ignore[misc]
    def _fetch_range(self, start: int, end: int) -> bytes:
        RELEASE.wait(60)  # the store answered the listing and the open, then stops answering
        return b""


class StallHub(fsspec.AbstractFileSystem):  # type: ignore[misc]
    """A synchronous filesystem that lists and opens its one object, then never answers a read of it."""

    protocol = "stallhub"
    BODY = b'{"text": "a row"}\n' * 1000

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        return {"name": self._strip_protocol(path), "size": len(self.BODY), "type": "file"}

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> StallingFile:
        return StallingFile(self, path, mode, size=len(self.BODY), **{k: v for k, v in kwargs.items()
                                                                       if k in ("block_size", "cache_type")})


def test_a_store_that_stops_answering_in_the_middle_of_a_read_stops_the_run(
        silent: None, tmp_path: Any) -> None:
    from tests.conftest import contract_text
    from traingate.contracts import parse_contract
    from traingate.engine.runner import RunOptions, validate

    fsspec.register_implementation("stallhub", StallHub, clobber=True)
    contract = parse_contract(contract_text("pretraining", ""), "c.yaml")
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"stallhub://data/train\.jsonl: .*no answer from the store in 1\.0\d* s "
                                          r"\(TRAINGATE_REMOTE_TIMEOUT\)"):
        validate(contract, ["stallhub://data/train.jsonl"], options=RunOptions(workers=1))
    assert time.monotonic() - started < 10  # 1 s and a second per MB of the object, not the client's retries
