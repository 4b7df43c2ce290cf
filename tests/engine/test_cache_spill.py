"""States that spilled rows to disk are cached with their spill files: the files are kept beside the entry,
copied back (and checked) by a later run, and go with the entry; a spill file that is missing or changed makes
its entry untrusted. A fold that kept only a sample of its rows is still not cached."""

from __future__ import annotations

import errno
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from tests.engine.test_cache import comparable, contract_of, write_parts
from tests.engine.test_cache_safety import SHARED_CHECKS
from tests.validators.test_merge_law import _rows
from traingate.contracts import Contract
from traingate.data import spill
from traingate.data.spill import SPILL_DIR_ENV, Rows, Spilled, SpillError
from traingate.engine import cache_evict, cache_spill, cache_store
from traingate.engine.cache_entry import BadEntry
from traingate.engine.cache_evict import entries, prune
from traingate.engine.cache_store import Store
from traingate.engine.runner import RunOptions, validate
from traingate.validators.common import findings


def _spilled(cache: Path) -> list[Path]:
    return sorted(cache.rglob("*.spill"))


def _empty_rows(folder: Path) -> tuple[Contract, list[str]]:
    """Two files of 40 rows each, every response empty: 40 findings per file for empty_text."""
    rows = [{"prompt": f"question {i}", "response": ""} for i in range(80)]
    text = "  format:\n    - type: empty_text\n      max_rate: 0.5\n"
    return contract_of("sft", folder, text), write_parts(folder, rows, 2)


def _evidence(contract: Contract, paths: list[str], cache: Path | None) -> tuple[Any, list[dict[str, Any]]]:
    records: list[dict[str, Any]] = []
    options = RunOptions(workers=1, cache=str(cache) if cache else None)
    return validate(contract, paths, options=options, evidence=records.extend), records


def test_findings_spilled_with_evidence_are_cached_and_give_the_same_evidence(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(findings, "MEMORY_BOUND", 8)  # 40 findings per file: each file's findings go to disk
    contract, paths = _empty_rows(tmp_path)
    cache = tmp_path / "cache"
    full, expected = _evidence(contract, paths, None)
    _first, written = _evidence(contract, paths, cache)
    again, read = _evidence(contract, paths, cache)
    assert again.gate.verdict == full.gate.verdict == "failed", again.gate  # not errored: the findings were read
    assert len(expected) == 80 and written == expected and read == expected
    assert again.dataset.cache is not None and again.dataset.cache.read_files == []
    assert _spilled(cache), "the spilled findings are kept beside their entries"
    assert comparable(again)["checks"] == comparable(full)["checks"]


def _spill_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Contract, list[str], RunOptions]:
    from traingate.data import jsonl_reader
    from traingate.engine import fold

    monkeypatch.setattr(jsonl_reader, "BLOCK_BYTES", 2048)  # several chunks per file
    contract = contract_of("sft", tmp_path, SHARED_CHECKS)
    paths = write_parts(tmp_path, _rows("sft", 120), 2)
    readings = iter([500.0, 10.0])  # over the limit once, in the first file: its near duplicates spill their keys
    monkeypatch.setattr(fold, "rss_mib", lambda: next(readings, 10.0))
    return contract, paths, RunOptions(workers=1, max_memory_mib=100, cache=str(tmp_path / "cache"))


def test_a_fold_that_spilled_to_disk_is_cached_with_its_spill_files(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    contract, paths, options = _spill_once(tmp_path, monkeypatch)
    spilled = validate(contract, paths, options=options)
    assert spilled.dataset.memory_actions and not [w for w in spilled.warnings if "not cached" in w]
    kept = _spilled(tmp_path / "cache")
    assert kept
    again = validate(contract, paths, options=RunOptions(workers=1, cache=str(tmp_path / "cache")))
    assert again.dataset.cache is not None and again.dataset.cache.read_files == []
    for path in (e.path for e in entries(str(tmp_path / "cache")) if "finished result" in e.label):
        Path(path).unlink()  # the states merged and finished again, the spilled keys read back from the copies
    merged = validate(contract, paths, options=RunOptions(workers=1, cache=str(tmp_path / "cache")))
    assert merged.dataset.cache is not None and merged.dataset.cache.finished == []
    assert comparable(again)["checks"] == comparable(merged)["checks"] == comparable(validate(contract, paths))["checks"]


@pytest.mark.parametrize("spoil", ["changed", "missing"])
def test_a_spill_file_changed_or_missing_makes_its_entry_untrusted(spoil: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    contract, paths, options = _spill_once(tmp_path, monkeypatch)
    validate(contract, paths, options=options)
    for path in (e.path for e in entries(str(tmp_path / "cache")) if "finished result" in e.label):
        Path(path).unlink()
    kept = _spilled(tmp_path / "cache")[0]
    if spoil == "missing":
        kept.unlink()
    else:
        blob = bytearray(kept.read_bytes())
        blob[-1] ^= 0x01
        kept.write_bytes(bytes(blob))
    again = validate(contract, paths, options=RunOptions(workers=1, cache=str(tmp_path / "cache")))
    assert [w for w in again.warnings if "was ignored and folded again" in w and "spill file" in w]
    assert again.dataset.cache is not None and again.dataset.cache.refolded
    assert comparable(again)["checks"] == comparable(validate(contract, paths))["checks"]


def test_spill_files_count_in_the_bound_and_go_with_their_entry(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    contract, paths, options = _spill_once(tmp_path, monkeypatch)
    validate(contract, paths, options=options)
    cache = tmp_path / "cache"
    kept = _spilled(cache)
    owners = [e for e in entries(str(cache)) if any(str(k).startswith(e.path) for k in kept)]
    assert owners and all(e.bytes > Path(e.path).stat().st_size for e in owners)
    assert sum(e.bytes for e in entries(str(cache))) == sum(p.stat().st_size for p in cache.rglob("*") if p.is_file()
                                                            and p.name != "lock")
    prune(str(cache), 0)
    assert not _spilled(cache) and not entries(str(cache))


def test_a_fold_that_kept_a_sample_is_not_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.engine import fold

    checks = "  uniqueness:\n    - type: semantic_duplicates\n"  # it keeps half its rows' share by hash
    contract = contract_of("sft", tmp_path, checks)
    paths = write_parts(tmp_path, _rows("sft", 60), 2)
    readings = iter([500.0, 10.0])
    monkeypatch.setattr(fold, "rss_mib", lambda: next(readings, 10.0))
    result = validate(contract, paths, options=RunOptions(workers=1, max_memory_mib=100, cache=str(tmp_path / "cache")))
    assert [a for a in result.dataset.memory_actions if "kept half of its rows' share" in a]
    assert [w for w in result.warnings if "not cached: under --max-memory its fold kept a share" in w]


# What a writer of the cache directory without the key can plant, and what the run's own copies leave behind.

KEY = "k" * 64


def _kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fill: int = 0) -> tuple[Store, Path]:
    """A store with one entry whose state holds a spilled file; restored copies go to tmp_path/spill."""
    monkeypatch.setenv("TRAINGATE_CACHE_KEY", "a long enough test secret")
    monkeypatch.setenv(SPILL_DIR_ENV, str(tmp_path / "spill"))
    source = tmp_path / f"rows{fill}.npy"
    np.save(source, np.full((3, 4), fill, dtype=np.uint64))
    store = Store(str(tmp_path / "cache"))
    store.put(KEY, Rows(disk=[Spilled(str(source), 4)]), "a file · a check")
    return store, _spilled(tmp_path / "cache")[0]


def _within(seconds: float, call: Callable[[], Any], fifo: Path) -> Any:
    """call()'s value or exception; a call still blocked after `seconds` (on opening `fifo`) fails the test."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as exc:
            outcome.append(exc)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # a writer that closes at once: the reader sees EOF
        thread.join(seconds)
        pytest.fail(f"still waiting on {fifo.name} after {seconds} s")
    return outcome[0]


@pytest.mark.parametrize("planted", ["fifo", "symlink to a fifo"])
def test_a_fifo_planted_as_a_spill_copy_is_refused_not_waited_on(planted: str, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    store, copy = _kept(tmp_path, monkeypatch)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    copy.unlink()
    if planted == "fifo":
        os.mkfifo(copy)
    else:
        copy.symlink_to(fifo)
    got = _within(5, lambda: store.get(KEY), fifo if planted != "fifo" else copy)
    assert isinstance(got, BadEntry), got
    assert not list((tmp_path / "spill").glob("*")), "nothing of it is left in the spill folder"


def test_a_fifo_planted_as_an_entry_is_refused_not_waited_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, _copy = _kept(tmp_path, monkeypatch)
    entry = Path(store.path(KEY))
    entry.unlink()
    os.mkfifo(entry)
    assert isinstance(_within(5, lambda: store.get(KEY), entry), BadEntry)
    listed = _within(5, lambda: entries(store.directory), entry)  # `traingate cache list`
    assert [e.label for e in listed] == ["(unreadable)"]


def _read_bytes() -> int:
    with open("/proc/self/io") as io:
        return next(int(line.split()[1]) for line in io if line.startswith("rchar:"))


@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="counts the bytes read through /proc/self/io")
def test_a_spill_copy_longer_than_its_entry_names_is_refused_unread(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    store, copy = _kept(tmp_path, monkeypatch)
    with open(copy, "r+b") as grown:
        grown.truncate(256 << 20)  # sparse: the right bytes, then 256 MiB of zeros (a symlink to /dev/zero: no end)
    before = _read_bytes()
    with pytest.raises(BadEntry):
        store.get(KEY)
    assert _read_bytes() - before < 1 << 20, "the copy was read past the size its entry names"


def test_restoring_into_a_spill_folder_that_cannot_be_written_is_a_spill_error_and_keeps_the_entry(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, copy = _kept(tmp_path, monkeypatch)
    monkeypatch.setattr(cache_spill, "spill_dir", lambda: tmp_path / "gone")  # as a full disk: nothing can be written
    with pytest.raises(SpillError, match="spill folder"):
        store.get(KEY)
    assert copy.exists() and Path(store.path(KEY)).exists(), "a good entry is not lost to this run's full disk"


def test_an_entry_written_again_keeps_only_the_spill_copies_it_names(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    store, first = _kept(tmp_path, monkeypatch)
    source = tmp_path / "other.npy"  # the same key folded again spilled at another point (--max-memory)
    np.save(source, np.full((3, 4), 7, dtype=np.uint64))
    store.put(KEY, Rows(disk=[Spilled(str(source), 4)]), "a file · a check")
    assert _spilled(tmp_path / "cache") != [first] and len(_spilled(tmp_path / "cache")) == 1
    assert int(store.get(KEY).column(0)[0]) == 7
    (listed,) = entries(store.directory)
    assert listed.bytes == Path(store.path(KEY)).stat().st_size + _spilled(tmp_path / "cache")[0].stat().st_size


def test_an_entry_that_cannot_be_written_leaves_no_spill_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, _first = _kept(tmp_path, monkeypatch)
    store.discard(KEY)

    def full(path: str, blob: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(cache_store, "write_atomic", full)
    with pytest.raises(OSError):
        store.put(KEY, Rows(disk=[Spilled(str(tmp_path / "rows0.npy"), 4)]), "a file · a check")
    assert not _spilled(tmp_path / "cache")


def test_the_copies_a_cached_run_restores_go_when_it_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run without --max-memory or findings has no spill folder of its own: a copy restored there stayed until
    the process ended (a long-lived process calling validate gathered them in TMPDIR)."""
    contract, paths, options = _spill_once(tmp_path, monkeypatch)
    validate(contract, paths, options=options)
    for path in (e.path for e in entries(str(tmp_path / "cache")) if "finished result" in e.label):
        Path(path).unlink()  # so the states are loaded, their spill files copied back
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.delenv(SPILL_DIR_ENV, raising=False)
    spill._own_dir.cache_clear()
    try:
        again = validate(contract, paths, options=RunOptions(workers=1, cache=str(tmp_path / "cache")))
        assert again.dataset.cache is not None and again.dataset.cache.finished == [] and not again.warnings
        assert not list(temp.rglob("*.npy")), "the restored spill copies outlived the run"
    finally:
        spill._own_dir.cache_clear()


def test_spill_copies_of_no_entry_count_in_the_size_and_go_once_stale(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer killed between copying its spill files and writing its entry leaves copies no entry owns: they
    count in `cache list` and toward --cache-max, and prune removes them once no writer can be using them."""
    store, copy = _kept(tmp_path, monkeypatch)
    Path(store.path(KEY)).unlink()
    on_disk = copy.stat().st_size
    assert sum(e.bytes for e in entries(store.directory)) == on_disk
    assert prune(store.directory, None) == (0, 0) and copy.exists(), "a writer may be writing its entry now"
    stale = copy.stat().st_mtime - 2 * cache_evict.STALE_SECONDS
    os.utime(copy, (stale, stale))
    prune(store.directory, None)
    assert not copy.exists() and not entries(store.directory)


@pytest.mark.parametrize("pid", [("traingate-spilled", "0" * 64, 4), ("traingate-spilled", "0" * 64, True, 96),
                                 ("traingate-spilled", "0" * 64, -1, 96), ("traingate-spilled", "../" * 21 + "a", 4, 96),
                                 ("other", "0" * 64, 4, 96), "traingate-spilled"])
def test_a_persistent_id_of_another_shape_is_refused_before_any_file_is_opened(pid: Any, tmp_path: Path,
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(cache_spill, "open_regular", lambda path, what: opened.append(path))
    with pytest.raises(cache_spill.SpillMissing, match="unknown persistent object"):
        cache_spill.Restorer(str(tmp_path / "x.entry"))(pid)
    assert opened == []


def test_a_restore_interrupted_half_way_leaves_nothing_in_the_spill_folder(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    store, _copy = _kept(tmp_path, monkeypatch)
    monkeypatch.setattr(cache_spill, "CHUNK", 16)
    real = cache_spill.hashlib.sha256

    class Digest:  # the first chunk is hashed and written, the second is interrupted (Ctrl-C)
        def __init__(self) -> None:
            self.inner, self.calls = real(), 0

        def update(self, data: bytes) -> None:
            self.calls += 1
            if self.calls > 1:
                raise KeyboardInterrupt
            self.inner.update(data)

        def hexdigest(self) -> str:
            return self.inner.hexdigest()
    monkeypatch.setattr(cache_spill, "hashlib", SimpleNamespace(sha256=Digest))
    with pytest.raises(KeyboardInterrupt):
        store.get(KEY)
    assert not list((tmp_path / "spill").glob("*"))
