"""Data in S3, read through a local S3-compatible server: globs of JSONL and Parquet on 2 workers give the run
the same files give when read locally (checks, counts, samples, faults; paths aside), with each object's etag
recorded; JSONL byte ranges and Parquet row groups are shards of the remote files as of local ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import contract_text, write_jsonl
from tests.data.remote_fixtures import BUCKET, s3, s3_server, upload
from tests.data.remote_fixtures import comparable as _comparable
from tests.validators.test_merge_law import CASES, _rows
from traingate.contracts import parse_contract
from traingate.data.sources import resolve_all
from traingate.engine import shards
from traingate.engine.runner import RunOptions, validate
from traingate.engine.shard_reader import read_shard

__all__ = ["s3", "s3_server"]


def _tree(root: Path) -> Path:
    """train/ holds two JSONL files (one with an unreadable line), test/ a Parquet file of small row groups
    and a dataset card, which a prefix skips."""
    rows = _rows("sft", 300)
    (root / "train").mkdir(parents=True)
    (root / "test").mkdir()
    write_jsonl(root / "train" / "a.jsonl", rows[:200])
    with (root / "train" / "a.jsonl").open("a") as out:
        out.write("{broken\n")
    write_jsonl(root / "train" / "b.jsonl", rows[200:])
    pq.write_table(pa.Table.from_pylist(rows[:120]), root / "test" / "c.parquet", row_group_size=17)
    (root / "test" / "README.md").write_text("# a card\n")
    return root



@pytest.mark.slow  # two worker processes start: about 5 s
def test_s3_globs_on_two_workers_give_the_local_run(tmp_path: Path, s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shards, "MIN_SHARD_BYTES", 1)  # small files still cut into byte ranges and row groups
    root = _tree(tmp_path / "data")
    upload(s3, root, "ds/")
    contract = parse_contract(contract_text("sft", CASES["sft"]), str(tmp_path / "c.yaml"))
    options = RunOptions(workers=2)
    local = validate(contract, [f"train={root}/train/*.jsonl", f"test={root}/test/*.parquet"], options=options)
    remote = validate(contract, [f"train=s3://{BUCKET}/ds/train/*.jsonl", f"test=s3://{BUCKET}/ds/test/*.parquet"],
                      options=options)
    assert remote.dataset.shards == local.dataset.shards > 3  # byte ranges and row groups, not a shard per file
    assert remote.dataset.rows == local.dataset.rows == 420 and remote.dataset.bad_records == 1
    assert any(c.samples for c in remote.checks)  # the comparison covers samples read again by range
    assert _comparable(remote, f"s3://{BUCKET}/ds", str(root)) == _comparable(local, str(root), str(root))
    etags = {Path(f.path).name: f.etag for f in remote.dataset.files}
    heads = {name: s3.head_object(Bucket=BUCKET, Key=key)["ETag"].strip('"')
             for name, key in [("a.jsonl", "ds/train/a.jsonl"), ("b.jsonl", "ds/train/b.jsonl"),
                               ("c.parquet", "ds/test/c.parquet")]}
    assert etags == heads
    assert [f.sha256 for f in remote.dataset.files] == [f.sha256 for f in local.dataset.files]  # of the bytes
    assert all(f.etag is None for f in local.dataset.files)


def test_a_prefix_is_read_like_a_folder_and_compressed_objects_whole(tmp_path: Path, s3: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shards, "MIN_SHARD_BYTES", 1)
    root = _tree(tmp_path / "data")
    shutil.copy(root / "train" / "b.jsonl", root / "test" / "b.jsonl")
    (root / "test" / "d.jsonl.gz").write_bytes(__import__("gzip").compress((root / "train" / "b.jsonl").read_bytes()))
    upload(s3, root, "ds/")
    files, skipped = resolve_all([f"s3://{BUCKET}/ds/test"], None, None)
    assert [f.path for f in files] == [f"s3://{BUCKET}/ds/test/{n}" for n in ("b.jsonl", "c.parquet", "d.jsonl.gz")]
    assert [(s.path, s.reason) for s in skipped] == [(f"s3://{BUCKET}/ds/test/README.md", "a dataset card")]
    assert [f.size for f in files] == [(root / "test" / n).stat().st_size for n in ("b.jsonl", "c.parquet", "d.jsonl.gz")]
    cut = shards.plan_shards(files, 2)
    by_file = [sum(1 for s in cut if s.file_index == i) for i in range(3)]
    assert by_file[0] > 1 and by_file[1] > 1 and by_file[2] == 1  # ranges, row groups, one stream
    contract = parse_contract(contract_text("sft", CASES["sft"]), str(tmp_path / "c.yaml"))
    remote = validate(contract, [f"s3://{BUCKET}/ds/test"])
    local = validate(contract, [str(root / "test")])
    assert _comparable(remote, f"s3://{BUCKET}/ds", str(root)) == _comparable(local, str(root), str(root))


def test_byte_ranges_of_a_remote_file_hold_every_line_once(tmp_path: Path, s3: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut points found by ranged reads fall just after a newline: unicode, an empty line, a long line and
    a last line without a newline are each read once, at their line number."""
    from traingate.data.readers import open_raw

    monkeypatch.setattr(shards, "MIN_SHARD_BYTES", 1)
    monkeypatch.setattr(shards, "CUT_BLOCK_BYTES", 256)  # a line end found over several requests
    lines = [json.dumps({"text": "é" * 50}, ensure_ascii=False), '{"text": "x"}', "",
             json.dumps({"text": "🙂 " * 300}, ensure_ascii=False), '{"text": "last"}'] * 20
    body = "\n".join(lines).encode()
    s3.put_object(Bucket=BUCKET, Key="r.jsonl", Body=body)
    files, _ = resolve_all([f"s3://{BUCKET}/r.jsonl"], None, None)
    cut = shards.plan_shards(files, 4)
    assert len(cut) > 4
    seen: list[int] = []
    for shard in cut:
        with open_raw(files[0]) as raw:
            for chunk in read_shard(files[0], shard, None, raw):
                seen += [int(n) for n in chunk.lines]
    assert seen == [i + 1 for i, line in enumerate(lines) if line]


def test_the_sha256_of_a_remote_file_is_of_its_bytes(tmp_path: Path, s3: Any) -> None:
    """What the run records and what promote hashes again (describe without a listing) agree with the bytes."""
    import hashlib

    from traingate.data.sources import describe
    from traingate.engine.runner import sha256_file

    body = "".join(json.dumps({"text": f"ünïcode {i}"}, ensure_ascii=False) + "\n" for i in range(3000)).encode()
    s3.put_object(Bucket=BUCKET, Key="h/d.jsonl", Body=body)
    url = f"s3://{BUCKET}/h/d.jsonl"
    contract = parse_contract(contract_text("pretraining", "  quantity:\n    - {type: min_rows, min: 1}\n"),
                              str(tmp_path / "c.yaml"))
    result = validate(contract, [url])
    assert result.dataset.files[0].sha256 == hashlib.sha256(body).hexdigest() == sha256_file(describe(url, "all"))
    assert result.dataset.files[0].bytes == len(body) and result.dataset.rows == 3000


def _fetched(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Bytes the store returns to reads, counted under the object they came from."""
    from traingate.data import remote_file

    fetched: dict[str, int] = {}
    read = remote_file.RemoteFile.read

    def counted(self: Any, n: int = -1) -> bytes:
        data = read(self, n)
        fetched[self.url] = fetched.get(self.url, 0) + len(data)
        return data

    monkeypatch.setattr(remote_file.RemoteFile, "read", counted)
    return fetched


@pytest.mark.parametrize("form", ["jsonl", "jsonl.gz", "parquet"])
def test_a_remote_object_read_whole_is_fetched_once_and_its_sha256_is_of_its_bytes(
        form: str, tmp_path: Path, s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A JSON lines object (plain or compressed) read whole in this process is hashed as it is read, not fetched
    again for the record; a Parquet object, read by row group and column, is fetched again for its sha256."""
    import gzip
    import hashlib

    rows = [{"text": f"ünïcode row {i} " * 3} for i in range(4000)]
    if form == "parquet":
        local = tmp_path / "d.parquet"
        pq.write_table(pa.Table.from_pylist(rows), local, row_group_size=500)
        body = local.read_bytes()
    else:
        body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
        body = gzip.compress(body) if form.endswith(".gz") else body
    s3.put_object(Bucket=BUCKET, Key=f"once/d.{form}", Body=body)
    url = f"s3://{BUCKET}/once/d.{form}"
    fetched = _fetched(monkeypatch)
    contract = parse_contract(contract_text("pretraining", "  quantity:\n    - {type: min_rows, min: 1}\n"),
                              str(tmp_path / "c.yaml"))
    result = validate(contract, [url], options=RunOptions(workers=1))
    assert result.dataset.rows == 4000
    assert result.dataset.files[0].sha256 == hashlib.sha256(body).hexdigest()
    total = sum(fetched.values())
    assert total == len(body) if form != "parquet" else total > len(body)


def test_a_remote_object_read_in_part_is_hashed_whole(tmp_path: Path, s3: Any) -> None:
    """--limit stops the pass part-way: the digest recorded is still that of every byte, fetched for it."""
    import hashlib

    body = "".join(json.dumps({"text": f"row {i}"}) + "\n" for i in range(5000)).encode()
    s3.put_object(Bucket=BUCKET, Key="part/d.jsonl", Body=body)
    contract = parse_contract(contract_text("pretraining", "  quantity:\n    - {type: min_rows, min: 1}\n"),
                              str(tmp_path / "c.yaml"))
    result = validate(contract, [f"s3://{BUCKET}/part/d.jsonl"], options=RunOptions(workers=1, limit=10))
    assert result.dataset.rows == 10 and result.dataset.files[0].sha256 == hashlib.sha256(body).hexdigest()
