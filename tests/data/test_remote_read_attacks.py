"""Attacks on the deadline of each request to a remote store (remote_file.py `_guard`, remote_requests.py `within`):
a store that is only slow must be read whole and give what a local run gives; one that stops answering must
stop the run on every path (the pass, the digest, the Parquet footer, a seek, the open) naming the URL
without its secrets; and a read given up must leave nothing behind that a later read sees."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import http.server
import io
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.conftest import contract_text
from tests.data.remote_fixtures import comparable, s3, s3_server
from traingate.contracts import parse_contract
from traingate.engine.runner import RunOptions, validate
from traingate.errors import SourceError

__all__ = ["s3", "s3_server"]
fsspec = pytest.importorskip("fsspec")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


@dataclass
class Behaviour:
    """What the fake store does: its objects, the rate it sends at, which fetches (start, end, size) and
    look-ups stall until `release`, whether its listing gives etags, and what it was asked."""

    objects: dict[str, bytes] = field(default_factory=dict)
    rate: float | None = None  # bytes per second, sent in steps of 16 KiB
    stall_fetch: Callable[[int, int, int], bool] = lambda start, end, size: False
    stall_info_after: int | None = None  # look-ups answered before the store stops answering them
    stall_seek: bool = False
    size_after_listing: int | None = None  # the size look-ups after the listing's give
    etags: bool = True
    infos: int = 0
    fetches: list[tuple[int, int]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


STORE = Behaviour()


class AttackFile(fsspec.spec.AbstractBufferedFile):  # type: ignore[misc]
    def _fetch_range(self, start: int, end: int) -> bytes:
        STORE.fetches.append((start, end))
        if STORE.stall_fetch(start, end, self.size):
            STORE.release.wait(30)
        body = STORE.objects[self.path][start:end]
        if STORE.rate:
            for at in range(0, len(body), 16 << 10):
                time.sleep(len(body[at: at + (16 << 10)]) / STORE.rate)
        return body

    def seek(self, loc: int, whence: int = 0) -> int:
        if STORE.stall_seek:
            STORE.release.wait(30)
        position: int = super().seek(loc, whence)
        return position


class AttackStore(fsspec.AbstractFileSystem):  # type: ignore[misc]
    """A synchronous store (as the hub's client is) of the objects in STORE, behaving as STORE says."""

    protocol = "attackstore"

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        name = self._strip_protocol(path)
        STORE.infos += 1
        if STORE.stall_info_after is not None and STORE.infos > STORE.stall_info_after:
            STORE.release.wait(30)
        if name not in STORE.objects:
            raise FileNotFoundError(name)
        body = STORE.objects[name]
        etag = {"ETag": hashlib.md5(body).hexdigest()} if STORE.etags else {}
        size = len(body) if STORE.size_after_listing is None or STORE.infos == 1 else STORE.size_after_listing
        return {"name": name, "size": size, "type": "file", **etag}

    def _open(self, path: str, mode: str = "rb", block_size: Any = None, autocommit: bool = True,
              cache_options: Any = None, **kwargs: Any) -> AttackFile:
        return AttackFile(self, path, mode, block_size=block_size, cache_type=kwargs.get("cache_type", "none"),
                          size=kwargs.get("size"))


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[Behaviour]:
    global STORE
    STORE = Behaviour()
    fsspec.register_implementation("attackstore", AttackStore, clobber=True)
    monkeypatch.setenv("TRAINGATE_REMOTE_TIMEOUT", "0.5")
    yield STORE
    STORE.release.set()  # an abandoned request ends


CONTRACT = parse_contract(contract_text("pretraining", "  format:\n    - {type: empty_text, max_rate: 1.0}\n"), "c.yaml")


def _text(rows: int, seed: int = 7) -> list[str]:
    """Rows of text that do not compress much, so an object's size is what its rows hold."""
    rng = random.Random(seed)
    return ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(rng.randrange(20, 200)))
            for _ in range(rows)]


def _jsonl(texts: list[str]) -> bytes:
    return "".join(json.dumps({"text": t}) + "\n" for t in texts).encode()


def _parquet(texts: list[str], row_group: int) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table({"text": texts}), sink, row_group_size=row_group, compression="none")
    return sink.getvalue()


def _same_as_local(store: Behaviour, name: str, tmp_path: Path, **options: Any) -> None:
    """A run of the remote object gives what a run of the same bytes on disk gives (but for its path)."""
    local = tmp_path / "local"
    local.mkdir()
    (local / name).write_bytes(store.objects[f"b/{name}"])
    remote = validate(CONTRACT, [f"attackstore://b/{name}"], options=RunOptions(workers=1, **options))
    here = validate(CONTRACT, [str(local / name)], options=RunOptions(workers=1, **options))
    assert remote.dataset.files[0].sha256 == hashlib.sha256(store.objects[f"b/{name}"]).hexdigest()
    assert comparable(remote, "attackstore://b", str(local)) == comparable(here, "attackstore://b", str(local))


def _stops(url: str, within_seconds: float, match: str = r"no answer from the store in") -> SourceError:
    started = time.monotonic()
    with pytest.raises(SourceError, match=match) as caught:
        validate(CONTRACT, [url], options=RunOptions(workers=1))
    assert time.monotonic() - started < within_seconds
    return caught.value


# A store that is only slow.

@pytest.mark.slow  # over 2 s: out of the quick loop
def test_a_compressed_jsonl_object_from_a_throttled_store_is_read_whole_as_a_local_run_reads_it(
        store: Behaviour, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read in small pieces (the smallest block, 64 KiB: 0.16 s each at 400 KB/s), each its own request with its
    own deadline of 0.6 s and 0.07 s: the whole object takes more than one deadline."""
    monkeypatch.setenv("TRAINGATE_REMOTE_TIMEOUT", "0.6")
    monkeypatch.setenv("TRAINGATE_REMOTE_BLOCK_BYTES", str(1 << 16))
    store.objects["b/train.jsonl.gz"] = gzip.compress(_jsonl(_text(9000)))
    assert len(store.objects["b/train.jsonl.gz"]) / 400_000 > 0.6 + len(store.objects["b/train.jsonl.gz"]) / 1e6
    store.rate = 400_000
    _same_as_local(store, "train.jsonl.gz", tmp_path)
    assert len(store.fetches) > 3  # read in pieces, not in one request


def test_a_compressed_jsonl_object_is_fetched_in_blocks_not_in_the_decompressors_64_kib_reads(
        store: Behaviour, tmp_path: Path) -> None:
    store.objects["b/train.jsonl.gz"] = gzip.compress(_jsonl(_text(30000)), compresslevel=1)
    assert len(store.objects["b/train.jsonl.gz"]) > 8 * (64 << 10)  # more than 8 reads of the decompressor's
    _same_as_local(store, "train.jsonl.gz", tmp_path)
    fetched = sum(end - start for start, end in store.fetches)
    assert len(store.fetches) <= 2 * 2 + 1, store.fetches  # the pass and the local comparison's, in 4 MiB blocks
    assert fetched >= len(store.objects["b/train.jsonl.gz"])


@pytest.mark.slow  # 2 s of a throttled store, twice
def test_a_parquet_column_chunk_from_a_throttled_store_that_keeps_sending_is_read(
        store: Behaviour, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One column chunk of about 825 KB at 400 KB/s: 2 s of a store that never stops sending, against a
    deadline of 1 s and 0.8 s for its MB fraction as one read (as a 300 MB chunk at 0.7 MB/s against the
    default 120 s and 300 s); read two blocks (128 KiB) at a time, each piece has 1.1 s for its 0.3 s."""
    monkeypatch.setenv("TRAINGATE_REMOTE_TIMEOUT", "1")
    monkeypatch.setenv("TRAINGATE_REMOTE_BLOCK_BYTES", str(64 << 10))
    store.objects["b/train.parquet"] = _parquet(_text(7500), 7500)
    assert len(store.objects["b/train.parquet"]) > 750_000
    store.rate = 400_000
    _same_as_local(store, "train.parquet", tmp_path)


def test_many_small_row_groups_read_remotely_give_what_a_local_run_gives(store: Behaviour, tmp_path: Path) -> None:
    store.objects["b/train.parquet"] = _parquet(_text(2000), 7)
    _same_as_local(store, "train.parquet", tmp_path)


def test_a_json_array_read_whole_with_no_size_bound_gives_what_a_local_run_gives(
        store: Behaviour, tmp_path: Path) -> None:
    """`read()` (n=-1) of a known size: its deadline grows with the rest of the object."""
    store.objects["b/train.json"] = json.dumps([{"text": t} for t in _text(500)], indent=1).encode()
    store.rate = 2_000_000
    _same_as_local(store, "train.json", tmp_path)
    assert max(end for _, end in store.fetches) == len(store.objects["b/train.json"])


# A store that stops answering, on each path a run takes to it.

def test_a_stall_in_the_parquet_footer_stops_the_run(store: Behaviour) -> None:
    store.objects["b/train.parquet"] = _parquet(_text(200), 50)
    store.stall_fetch = lambda start, end, size: end == size
    _stops("attackstore://b/train.parquet", 10)


def test_a_stall_in_a_column_chunk_after_the_footer_stops_the_run(store: Behaviour) -> None:
    store.objects["b/train.parquet"] = _parquet(_text(200), 50)
    store.stall_fetch = lambda start, end, size: end < size - 8
    _stops("attackstore://b/train.parquet", 10)


def test_a_stall_in_a_seek_stops_the_run(store: Behaviour) -> None:
    store.objects["b/train.parquet"] = _parquet(_text(200), 50)
    store.stall_seek = True
    _stops("attackstore://b/train.parquet", 10)


def test_a_stall_in_the_digest_pass_stops_the_run_as_a_store_error(store: Behaviour) -> None:
    """A Parquet object read by column chunk is streamed again for its sha256 (remote_digest.py): only that
    second pass, which starts at byte 0, meets the stall."""
    store.objects["b/train.parquet"] = _parquet(_text(2000), 500)  # more than the 64 KiB footer read
    store.stall_fetch = lambda start, end, size: start == 0
    _stops("attackstore://b/train.parquet", 10)
    assert any(start > 0 for start, _ in store.fetches)  # the pass itself was answered


def _run_in_thread(url: str, seconds: float) -> tuple[bool, BaseException | None]:
    """Whether a run of `url` ended within `seconds`, and what it raised."""
    box: dict[str, BaseException] = {}

    def run() -> None:
        try:
            validate(CONTRACT, [url], options=RunOptions(workers=1))
        except BaseException as exc:  # handed to the test
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive(), box.get("error")


def test_a_store_without_etags_that_stops_answering_after_the_listing_stops_the_run(store: Behaviour) -> None:
    store.objects["b/train.jsonl"] = _jsonl(_text(100))
    store.etags = False
    store.stall_info_after = 1  # the listing's look-up is answered, the next is not
    ended, error = _run_in_thread("attackstore://b/train.jsonl", 2)
    store.release.set()
    assert ended and (error is None or (isinstance(error, SourceError) and "no answer from the store" in str(error)))


def test_a_store_without_etags_that_answers_is_read_as_a_local_run_reads_it(store: Behaviour, tmp_path: Path) -> None:
    store.objects["b/train.jsonl"] = _jsonl(_text(300))
    store.etags = False
    _same_as_local(store, "train.jsonl", tmp_path)


def test_an_open_that_finds_another_size_under_the_listed_etag_is_not_read_as_empty(
        store: Behaviour, tmp_path: Path) -> None:
    """As a gateway before the store may answer a look-up (HEAD) with no length: the run must not pass on
    0 rows where a local run of the same object reads 300."""
    store.objects["b/train.jsonl"] = _jsonl(_text(300))
    store.size_after_listing = 0
    try:
        result = validate(CONTRACT, ["attackstore://b/train.jsonl"], options=RunOptions(workers=1))
    except SourceError:
        return
    assert result.dataset.rows == 300


def test_a_stall_in_the_open_stops_the_run(store: Behaviour) -> None:
    store.objects["b/train.jsonl"] = _jsonl(_text(100))
    store.stall_info_after = 1  # with an etag, the open looks the object up (fsspec) inside the deadline
    _stops("attackstore://b/train.jsonl", 10, r"cannot be opened: no answer from the store")


# Secrets, and what a read given up leaves behind.

def test_a_secret_in_the_url_reaches_neither_the_message_nor_a_thread_name(store: Behaviour) -> None:
    name = "user:hunter2@b/train.jsonl?X-Amz-Signature=abcdef"
    store.objects[name] = _jsonl(_text(100))
    names: list[str] = []
    store.stall_fetch = lambda start, end, size: names.extend(t.name for t in threading.enumerate()) is None
    error = _stops(f"attackstore://{name}", 10)
    assert names and not [n for n in names if "hunter2" in n or "abcdef" in n]
    assert "hunter2" not in str(error) and "abcdef" not in str(error) and "attackstore://user:***@b" in str(error)


def test_a_read_given_up_leaves_the_file_closable_and_a_new_open_reads_the_object_right(store: Behaviour) -> None:
    from traingate.data.remote_file import open_remote

    body = _jsonl(_text(400))
    store.objects["b/train.jsonl"] = body
    store.stall_fetch = lambda start, end, size: start == 100
    url, etag = "attackstore://b/train.jsonl", hashlib.md5(body).hexdigest()
    first = open_remote(url, len(body), None, etag)
    assert first.read(100) == body[:100]
    with pytest.raises(OSError, match="no answer from the store"):
        first.read(1000)
    started = time.monotonic()
    first.close()  # while the abandoned read still waits
    assert time.monotonic() - started < 0.5 and first.closed
    store.stall_fetch = lambda start, end, size: False
    store.release.set()  # the abandoned read now ends, late
    time.sleep(0.05)
    with open_remote(url, len(body), None, etag) as again:
        assert again.read(100) == body[:100] and again.read(1000) == body[100:1100]
        assert again.read() == body[1100:]
    from traingate.data.remote_digest import published

    assert published(url, etag, len(body)) == hashlib.sha256(body).hexdigest()
    assert published(url, etag, len(body) + 1) is None


# Worker processes, through a real S3 client: a proxy before the local S3 server that stops answering.

class _Proxy(http.server.BaseHTTPRequestHandler):
    """Forwards each request to the S3 server, but never answers a ranged GET that `stall` picks."""

    upstream = ""
    stall: Callable[[str], bool] = staticmethod(lambda ranged: False)
    release = threading.Event()
    stalled: ClassVar[list[str]] = []

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        ranged = self.headers.get("Range") or ""
        if self.command == "GET" and ranged and type(self).stall(ranged):
            type(self).stalled.append(ranged)
            type(self).release.wait(30)
            self.close_connection = True
            return
        host, port = self.upstream.removeprefix("http://").split(":")
        upstream = http.client.HTTPConnection(host, int(port), timeout=30)
        upstream.request(self.command, self.path, body or None, dict(self.headers.items()))
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", answer.getheader("Content-Length") or "0" if self.command == "HEAD"
                         else str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = do_HEAD = do_PUT = do_POST = _forward

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.slow  # two worker processes start, and each shard is read twice: about 12 s
def test_a_stall_on_worker_processes_ends_the_run_with_the_shards_unread(
        s3: Any, s3_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two objects of 0.6 MB on --workers 2: a worker reads each whole (one read of 8 MiB, asked of the
    store as such) and meets the stall; the digest beside the pass asks for 4 MiB and is answered."""
    from tests.data.remote_fixtures import BUCKET

    body = _jsonl(_text(5_000))
    for name in ("a.jsonl", "b.jsonl"):
        s3.put_object(Bucket=BUCKET, Key=f"ds/{name}", Body=body)
    _Proxy.upstream, _Proxy.stalled = s3_server, []
    _Proxy.stall = staticmethod(lambda ranged: ranged == f"bytes=0-{(8 << 20) - 1}")  # a worker's read
    _Proxy.release.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("TRAINGATE_REMOTE_TIMEOUT", "2")  # the answered requests, through the proxy, under load
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    started = time.monotonic()
    try:
        result = validate(CONTRACT, [f"s3://{BUCKET}/ds/*.jsonl"], options=RunOptions(workers=2))
    finally:
        _Proxy.release.set()
        server.shutdown()
        s3fs.S3FileSystem.clear_instance_cache()
    assert time.monotonic() - started < 60
    # each shard tried twice; a retry may not reach the store (its client still waits on the stalled request)
    assert result.dataset.shards == 2 and len(_Proxy.stalled) >= 2
    assert len(result.dataset.errored_shards) == 2 and result.gate.exit_code == 3
    assert all("no answer from the store in" in shard for shard in result.dataset.errored_shards)
    assert [f.sha256 for f in result.dataset.files] == [hashlib.sha256(body).hexdigest()] * 2
