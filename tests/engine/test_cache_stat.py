"""validate --cache trusts a file's stat for its sha256 when every field is the one recorded and the file had
settled when it was recorded; an edit that puts back size and mtime moves ctime and is caught; --cache-verify
hashes every file, and so catches even an edit whose every stat field was put back."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from tests.data.test_remote_hub import hub  # noqa: F401  (the fixture)
from tests.engine.test_cache import Counted, comparable, contract_of, two_files, write_parts
from tests.validators.test_merge_law import _rows
from traingate.data.sources import SourceFile
from traingate.engine import cache as cache_module
from traingate.engine import cache_keys
from traingate.engine import runner as runner_module
from traingate.engine.runner import RunOptions, validate


def Hashed(monkeypatch: pytest.MonkeyPatch) -> Counted:
    """Counts the files the run hashes."""
    return Counted(monkeypatch, runner_module, "sha256_file")


def _edit_keeping_size_and_mtime(path: Path) -> None:
    import os

    stat = path.stat()
    text = path.read_text()
    edited = text.replace('"r', '"s', 1)
    assert edited != text and len(edited) == len(text)
    path.write_text(edited)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_settled_unchanged_file_is_not_hashed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_keys, "SETTLE_NS", 0)
    contract, paths, options = two_files(tmp_path)
    first = validate(contract, paths, options=options)
    hashed = Hashed(monkeypatch)
    again = validate(contract, paths, options=options)
    assert hashed.paths == []
    assert again.dataset.cache is not None and again.dataset.cache.read_files == []
    assert [f.sha256 for f in again.dataset.files] == [f.sha256 for f in first.dataset.files]
    assert comparable(again) == comparable(first)


def test_a_file_changed_moments_ago_is_hashed_until_its_stat_settles(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    contract, paths, options = two_files(tmp_path)
    validate(contract, paths, options=options)  # the files were written just now: not settled
    hashed = Hashed(monkeypatch)
    validate(contract, paths, options=options)
    assert len(hashed.paths) == 2
    monkeypatch.setattr(cache_keys, "SETTLE_NS", 0)  # settled now: the confirmed records are written again
    validate(contract, paths, options=options)
    assert len(hashed.paths) == 4
    again = validate(contract, paths, options=options)
    assert len(hashed.paths) == 4 and again.dataset.cache is not None and again.dataset.cache.read_files == []


def test_an_edit_that_puts_back_size_and_mtime_moves_ctime_and_is_caught(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_keys, "SETTLE_NS", 0)
    contract, paths, options = two_files(tmp_path)
    validate(contract, paths, options=options)
    target = tmp_path / "part1.jsonl"
    before = target.stat()
    _edit_keeping_size_and_mtime(target)
    after = target.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert after.st_ctime_ns != before.st_ctime_ns
    hashed = Hashed(monkeypatch)
    result = validate(contract, paths, options=options)
    assert hashed.paths == [str(target)]
    assert result.dataset.cache is not None and result.dataset.cache.read_files == [str(target)]
    assert any("changed without a new size or mtime" in w for w in result.warnings)
    assert comparable(result)["checks"] == comparable(validate(contract, paths))["checks"]


def test_cache_verify_catches_an_edit_whose_every_stat_field_was_put_back(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """No user call sets ctime, so the stat that was put back is simulated: the run sees the recorded one."""
    monkeypatch.setattr(cache_keys, "SETTLE_NS", 0)
    contract, paths, options = two_files(tmp_path)
    seen: dict[str, dict[str, Any]] = {}
    real = cache_module.identity
    monkeypatch.setattr(cache_module, "identity", lambda s: seen.setdefault(s.path, real(s)))
    validate(contract, paths, options=options)
    target = tmp_path / "part1.jsonl"
    _edit_keeping_size_and_mtime(target)
    trusted = validate(contract, paths, options=options)  # what the run trusts: the stat stands for the content
    assert trusted.dataset.cache is not None and trusted.dataset.cache.read_files == []
    full = validate(contract, paths)
    assert trusted.dataset.files[1].sha256 != full.dataset.files[1].sha256  # the recorded digest, not the content's
    hashed = Hashed(monkeypatch)
    verified = validate(contract, paths, options=RunOptions(cache=str(tmp_path / "cache"), cache_verify=True))
    assert sorted(hashed.paths) == sorted(str(tmp_path / f"part{i}.jsonl") for i in range(2))
    assert verified.dataset.cache is not None and verified.dataset.cache.read_files == [str(target)]
    assert any("changed without a new size or mtime" in w for w in verified.warnings)
    assert comparable(verified)["checks"] == comparable(full)["checks"]


def test_a_file_changed_during_a_run_is_hashed_again_by_the_next(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The record holds the stat taken before the file was hashed, not after: an edit made while the run read
    the file shows in the next run's stat."""
    monkeypatch.setattr(cache_keys, "SETTLE_NS", 0)
    contract = contract_of("sft", tmp_path)
    paths = write_parts(tmp_path, _rows("sft", 60), 2)
    target = tmp_path / "part1.jsonl"
    real = runner_module.sha256_file

    def editing(source: SourceFile) -> str:
        if source.path == str(target) and target.read_text().count('"s') == 0:
            _edit_keeping_size_and_mtime(target)
        return real(source)
    monkeypatch.setattr(runner_module, "sha256_file", editing)
    options = RunOptions(cache=str(tmp_path / "cache"))
    validate(contract, paths, options=options)
    monkeypatch.undo()
    monkeypatch.setattr(cache_keys, "SETTLE_NS", 0)
    hashed = Hashed(monkeypatch)
    again = validate(contract, paths, options=options)
    assert str(target) in hashed.paths
    assert comparable(again)["checks"] == comparable(validate(contract, paths))["checks"]


def test_what_a_files_stat_can_stand_for() -> None:
    remote = SourceFile("s3://bucket/part0.jsonl", "jsonl", None, "train", 10, etag="e1")
    assert cache_keys.settled(cache_keys.identity(remote), 0)
    bare = SourceFile("s3://bucket/part0.jsonl", "jsonl", None, "train", 10)
    assert not cache_keys.settled(cache_keys.identity(bare), 10**19)  # neither etag nor version: hashed
    gone = SourceFile("/nonexistent/part0.jsonl", "jsonl", None, "train", 10)
    assert not cache_keys.settled(cache_keys.identity(gone), 10**19)  # no stat: hashed
    local = {"size": 1, "mtime_ns": 100, "ctime_ns": 5 * 10**9, "inode": 1, "device": 1, "etag": None, "version": None}
    assert not cache_keys.settled(local, 6 * 10**9)  # changed within SETTLE_NS of the stat
    assert cache_keys.settled(local, 8 * 10**9)
    assert cache_keys.same_file(local, local | {"ctime_ns": 1, "inode": 2})  # worth confirming by its sha256
    assert not cache_keys.same_file(local, local | {"mtime_ns": 101})


def test_a_remote_object_with_an_etag_is_not_downloaded_to_be_hashed_again(hub: Path, tmp_path: Path,  # noqa: F811
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    contract = contract_of("sft", tmp_path)
    data = ["hf://datasets/acme/recipes/data/train-*.jsonl"]
    options = RunOptions(cache=str(tmp_path / "cache"))
    first = validate(contract, data, options=options)
    hashed = Hashed(monkeypatch)
    again = validate(contract, data, options=options)
    assert hashed.paths == [] and again.dataset.cache is not None and again.dataset.cache.read_files == []
    assert comparable(again) == comparable(first)
    grown = hub / "data" / "train-00001.jsonl"
    grown.write_text(grown.read_text() + grown.read_text().splitlines(True)[0])  # a new size: a new blob id
    changed = validate(contract, data, options=options)
    url = f"hf://datasets/acme/recipes/data/{grown.name}"
    assert changed.dataset.cache is not None and changed.dataset.cache.read_files == [url]
    assert hashed.paths == []  # read whole by the pass, which hashed it as it read: not fetched again for it
    (info,) = [f for f in changed.dataset.files if f.path == url]
    assert info.sha256 == hashlib.sha256(grown.read_bytes()).hexdigest()
    assert comparable(changed)["checks"] == comparable(validate(contract, data))["checks"]


def test_cache_verify_needs_a_cache(tmp_path: Path) -> None:
    import traingate
    from traingate.errors import UsageError

    with pytest.raises(UsageError, match="cache_verify: give cache"):
        traingate.validate(contract_of("sft", tmp_path), write_parts(tmp_path, _rows("sft", 10), 1), cache_verify=True)
