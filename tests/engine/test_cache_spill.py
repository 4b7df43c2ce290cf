"""States that spilled rows to disk are cached with their spill files: the files are kept beside the entry,
copied back (and checked) by a later run, and go with the entry; a spill file that is missing or changed makes
its entry untrusted. A fold that kept only a sample of its rows is still not cached."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.engine.test_cache import comparable, contract_of, write_parts
from tests.engine.test_cache_safety import SHARED_CHECKS
from tests.validators.test_merge_law import _rows
from traingate.contracts import Contract
from traingate.engine.cache_store import entries, prune
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
    from traingate.data import readers
    from traingate.engine import fold

    monkeypatch.setattr(readers, "BLOCK_BYTES", 2048)  # several chunks per file
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
