"""`hf://datasets/ORG/NAME/...` through fsspec, against a local filesystem registered as `hf` for the test that
lays the hub's paths out in a folder (no network): globs, prefixes and `dataset.splits` read the same rows as
the folder read locally, and the hub's blob id is the file's etag."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import contract_text, write_jsonl
from tests.data.remote_fixtures import comparable as _comparable
from tests.validators.test_merge_law import CASES, _rows
from traingate.contracts import parse_contract
from traingate.data.sources import resolve_all
from traingate.engine.runner import validate

fsspec = pytest.importorskip("fsspec")
from fsspec.implementations.dirfs import DirFileSystem  # noqa: E402
from fsspec.implementations.local import LocalFileSystem  # noqa: E402


class LocalHub(DirFileSystem):  # type: ignore[misc]
    """hf://datasets/ORG/NAME/path -> ROOT/datasets/ORG/NAME/path, listing each file with a blob id."""

    protocol = "hf"
    root = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(path=type(self).root, fs=LocalFileSystem())

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        return path.removeprefix("hf://").rstrip("/") if isinstance(path, str) else [cls._strip_protocol(p) for p in path]

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        return self._blob(super().info(path, **kwargs))

    def glob(self, path: str, **kwargs: Any) -> Any:
        found = super().glob(path, **kwargs)
        return {k: self._blob(v) for k, v in found.items()} if isinstance(found, dict) else found

    def find(self, path: str, **kwargs: Any) -> Any:
        found = super().find(path, **kwargs)
        return {k: self._blob(v) for k, v in found.items()} if isinstance(found, dict) else found

    @staticmethod
    def _blob(info: dict[str, Any]) -> dict[str, Any]:
        return {**info, "blob_id": f"blob-{info['size']}"} if info.get("type") == "file" else info


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    root = tmp_path / "hub"
    repo = root / "datasets" / "acme" / "recipes"
    (repo / "data").mkdir(parents=True)
    rows = _rows("sft", 120)
    write_jsonl(repo / "data" / "train-00000.jsonl", rows[:60])
    write_jsonl(repo / "data" / "train-00001.jsonl", rows[60:100])
    pq.write_table(pa.Table.from_pylist(rows[100:]), repo / "data" / "test-00000.parquet", row_group_size=7)
    (repo / "README.md").write_text("---\nlicense: mit\n---\n")
    (repo / ".gitattributes").write_text("*.parquet filter=lfs\n")
    LocalHub.root = str(root)
    monkeypatch.setitem(importlib.import_module("fsspec.registry")._registry, "hf", LocalHub)  # put back after
    LocalHub.clear_instance_cache()
    yield repo



def test_a_hub_repository_is_listed_like_a_folder(hub: Path) -> None:
    files, skipped = resolve_all(["hf://datasets/acme/recipes"], None, None)
    base = "hf://datasets/acme/recipes"
    assert [f.path for f in files] == [f"{base}/data/test-00000.parquet", f"{base}/data/train-00000.jsonl",
                                       f"{base}/data/train-00001.jsonl"]
    assert [f.size for f in files] == [(hub / "data" / Path(f.path).name).stat().st_size for f in files]
    assert [f.etag for f in files] == [f"blob-{f.size}" for f in files]
    assert sorted((s.path, s.reason) for s in skipped) == [(f"{base}/.gitattributes", "git attributes"),
                                                          (f"{base}/README.md", "a dataset card")]


def test_hub_splits_and_globs_give_the_local_run(hub: Path, tmp_path: Path) -> None:
    splits = ("  splits:\n    train: ['hf://datasets/acme/recipes/data/train-*.jsonl']\n"
              "    test: ['hf://datasets/acme/recipes/data/test-*.parquet']\n")
    remote_contract = parse_contract(contract_text("sft", CASES["sft"], extra=splits), str(tmp_path / "c.yaml"))
    remote = validate(remote_contract, [])
    contract = parse_contract(contract_text("sft", CASES["sft"]), str(tmp_path / "c.yaml"))
    local = validate(contract, [f"train={hub}/data/train-*.jsonl", f"test={hub}/data/test-*.parquet"])
    assert remote.dataset.rows == 120 and [f.split for f in remote.dataset.files] == ["train", "train", "test"]
    assert [f.etag for f in remote.dataset.files] == [f"blob-{f.bytes}" for f in remote.dataset.files]
    assert _comparable(remote, "hf://datasets/acme/recipes", str(hub)) == _comparable(local, str(hub), str(hub))
    assert remote.dataset.inputs == ["train=hf://datasets/acme/recipes/data/train-*.jsonl",
                                     "test=hf://datasets/acme/recipes/data/test-*.parquet"]


def test_a_missing_hub_file_names_the_url(hub: Path) -> None:
    from traingate.errors import SourceError

    with pytest.raises(SourceError, match=r"hf://datasets/acme/recipes/data/nope\.jsonl: no such object"):
        resolve_all(["hf://datasets/acme/recipes/data/nope.jsonl"], None, None)
    with pytest.raises(SourceError, match=r"hf://datasets/acme/recipes/data/\*\.csv: no object matches"):
        resolve_all(["hf://datasets/acme/recipes/data/*.csv"], None, None)
