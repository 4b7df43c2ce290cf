"""Remote listings and reads at their edges: folder markers a console or Hadoop leaves under a prefix, keys
whose names hold `?`, an object replaced after it was listed, an endpoint that never answers, a Parquet
object whose footer cannot be read when it is cut into row groups."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import contract_text
from tests.data.remote_fixtures import BUCKET, s3, s3_server
from traingate.contracts import parse_contract
from traingate.data.readers import open_raw, read_source
from traingate.data.sources import resolve_all
from traingate.engine.runner import validate
from traingate.errors import SourceError

__all__ = ["s3", "s3_server"]
BODY = b"".join(json.dumps({"text": f"row {i}"}).encode() + b"\n" for i in range(10))


def _contract(tmp_path: Path) -> Any:
    return parse_contract(contract_text("pretraining", "  quantity:\n    - {type: min_rows, min: 1}\n"),
                          str(tmp_path / "c.yaml"))


def test_folder_markers_under_a_prefix_or_glob_are_skipped(tmp_path: Path, s3: Any) -> None:
    """The S3 console's `folder/` and Hadoop's `folder_$folder$` are empty objects, not data files."""
    for key, body in [("mk/", b""), ("mk/sub/", b""), ("mk/sub/a.jsonl", BODY), ("mk/sub_$folder$", b"")]:
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    for url in (f"s3://{BUCKET}/mk", f"s3://{BUCKET}/mk/", f"s3://{BUCKET}/mk/**"):
        files, skipped = resolve_all([url], None, None)
        assert [f.path for f in files] == [f"s3://{BUCKET}/mk/sub/a.jsonl"]
        markers = sorted(s.path for s in skipped if s.reason == "a folder marker")
        assert f"s3://{BUCKET}/mk/sub_$folder$" in markers and f"s3://{BUCKET}/mk/sub/" in markers
    assert validate(_contract(tmp_path), [f"s3://{BUCKET}/mk"]).dataset.rows == 10


@pytest.mark.parametrize("forget", [False, True])
def test_an_object_replaced_after_it_was_listed_is_not_read_as_the_one_listed(
        tmp_path: Path, s3: Any, monkeypatch: pytest.MonkeyPatch, forget: bool) -> None:
    """The listing's size and etag are the object the run records; reading a newer object under them would
    judge bytes of one version against the size and etag of another (the new rows cut at the old size).
    `forget`: the file is looked up again on opening (as in a worker process), not found in the listing."""
    from traingate.data import remote

    s3.put_object(Bucket=BUCKET, Key="swap/a.jsonl", Body=BODY)
    listed = remote.list_objects

    def list_then_replace(url: str, magic: bool) -> Any:
        found = listed(url, magic)
        s3.put_object(Bucket=BUCKET, Key="swap/a.jsonl", Body=BODY.replace(b"row", b"new row") * 3)
        if forget:
            remote.filesystem(url)[0].invalidate_cache()
        return found

    monkeypatch.setattr(remote, "list_objects", list_then_replace)
    with pytest.raises(SourceError, match="changed after it was listed"):
        validate(_contract(tmp_path), [f"s3://{BUCKET}/swap/*.jsonl"])


@pytest.mark.slow  # over 2 s: out of the quick loop
def test_an_endpoint_that_never_answers_stops_the_listing(tmp_path: Path, s3: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that accepts connections and never replies: the run stops with exit 3 after
    TRAINGATE_REMOTE_TIMEOUT, naming it, instead of waiting out the client's retries."""
    import s3fs

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{silent.getsockname()[1]}")
        monkeypatch.setenv("TRAINGATE_REMOTE_TIMEOUT", "2")
        s3fs.S3FileSystem.clear_instance_cache()
        started = time.monotonic()
        with pytest.raises(SourceError, match=r"no answer from the store in 2 s \(TRAINGATE_REMOTE_TIMEOUT\)"):
            resolve_all([f"s3://{BUCKET}/any/*.jsonl"], None, None)
        assert time.monotonic() - started < 15
    finally:
        silent.close()
        s3fs.S3FileSystem.clear_instance_cache()


def test_a_key_whose_name_holds_a_question_mark_is_read(tmp_path: Path, s3: Any) -> None:
    """In an object store `?` may be part of a key; only when the name without it is no data file is what
    follows taken for a query."""
    s3.put_object(Bucket=BUCKET, Key="q/what?.jsonl", Body=BODY)
    s3.put_object(Bucket=BUCKET, Key="q/a?b.jsonl", Body=BODY)
    for url, rows in [(f"s3://{BUCKET}/q/a?b.jsonl", 10), (f"s3://{BUCKET}/q", 20), (f"s3://{BUCKET}/q/*.jsonl", 20)]:
        assert validate(_contract(tmp_path), [url]).dataset.rows == rows
    files, _ = resolve_all([f"s3://{BUCKET}/q"], None, None)
    assert [(f.path, f.format) for f in files] == [(f"s3://{BUCKET}/q/a?b.jsonl", "jsonl"),
                                                   (f"s3://{BUCKET}/q/what?.jsonl", "jsonl")]


def test_a_parquet_object_with_a_broken_footer_stays_one_shard(tmp_path: Path, s3: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Cutting a large Parquet file into row groups reads its footer; a file that is not Parquet stopped
    the run there with pyarrow's bare 'ArrowInvalid: Parquet magic bytes not found', naming no file."""
    from traingate.engine import shards

    monkeypatch.setattr(shards, "MIN_SHARD_BYTES", 1)
    (tmp_path / "junk.parquet").write_bytes(b"not parquet at all" * 10)
    s3.put_object(Bucket=BUCKET, Key="pq/junk.parquet", Body=b"not parquet at all" * 10)
    s3.put_object(Bucket=BUCKET, Key="pq/ok.jsonl", Body=BODY)
    for data in (str(tmp_path / "junk.parquet"), f"s3://{BUCKET}/pq/junk.parquet"):
        files, _ = resolve_all([data, f"s3://{BUCKET}/pq/ok.jsonl"], None, None)
        cut = shards.plan_shards(files, 2)
        assert cut[0] == shards.Shard(0) and cut[1].file_index == 1
        with pytest.raises(SourceError, match=f"{files[0].path}: cannot read as parquet"), open_raw(files[0]) as raw:
            list(read_source(files[0], None, raw))
