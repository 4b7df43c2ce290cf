"""validate --cache: a cached run gives the full run's result for every check type; an appended file is the
only one read; an edited check is the only one folded again; a moved file is read again."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import contract_text
from tests.validators.test_merge_law import CASES, KIND_OF, _rows
from traingate.contracts import parse_contract
from traingate.contracts.model import Contract
from traingate.engine import fold as fold_module
from traingate.engine.cache_evict import entries
from traingate.engine.runner import RunOptions, validate
from traingate.results.model import RunResult

QUICK = {"sft", "reward", "preference"}


def comparable(result: RunResult) -> dict[str, Any]:
    """The run JSON without what differs between two runs of the same data: times, ids, the cache record."""
    data = result.model_dump(mode="json")
    for key in ("run_id", "started_at", "finished_at", "timings", "resources"):
        data.pop(key)
    data["dataset"].pop("cache", None)
    if "warnings" in data:
        data["warnings"] = [w for w in data["warnings"] if "worker processes took longer" not in w]
    return data


def drop_entries(cache: Path, *endings: str) -> int:
    """Remove the cache's entries whose label ends with one of `endings` ("finished result", "merged state");
    how many."""
    dropped = [e for e in entries(str(cache)) if e.label.endswith(endings)]
    for entry in dropped:
        os.unlink(entry.path)
    return len(dropped)


def write_parts(folder: Path, rows: list[dict[str, Any]], parts: int) -> list[str]:
    """The rows in `parts` JSON lines files, the first half train and the rest test."""
    size = -(-len(rows) // parts)
    paths = []
    for i in range(parts):
        path = folder / f"part{i}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows[i * size:(i + 1) * size]))
        paths.append(f"{'train' if i < parts // 2 else 'test'}={path}")
    return paths


def contract_of(kind: str, folder: Path, checks: str | None = None) -> Contract:
    return parse_contract(contract_text(KIND_OF.get(kind, kind), checks or CASES[kind]), str(folder / "c.yaml"))


def two_files(tmp_path: Path) -> tuple[Contract, list[str], RunOptions]:
    """An sft contract, 60 rows in two files, and the options of a run with a cache in tmp_path/cache."""
    return contract_of("sft", tmp_path), write_parts(tmp_path, _rows("sft", 60), 2), RunOptions(
        cache=str(tmp_path / "cache"))


def cached_then_appended(tmp_path: Path, rows: int, first: int) -> tuple[Contract, list[str], RunOptions]:
    """An sft run over `first` rows in 4 files that fills a cache, then a fifth file holding the rest appended
    (its path added last, as a new weekly shard sorts): the contract, the five paths and the cache's options."""
    contract = contract_of("sft", tmp_path)
    data = _rows("sft", rows)
    paths = write_parts(tmp_path, data[:first], 4)
    cache = RunOptions(cache=str(tmp_path / "cache"))
    validate(contract, paths, options=cache)
    (tmp_path / "part4.jsonl").write_text("".join(json.dumps(r) + "\n" for r in data[first:]))
    return contract, [*paths, f"test={tmp_path / 'part4.jsonl'}"], cache


class Counted:
    """The paths of the files a module's function is called with (`fold_module.open_raw`: the files the fold
    opens; the sha256 and the second look open theirs elsewhere)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: Any = fold_module, name: str = "open_raw") -> None:
        self.paths: list[str] = []
        real = getattr(module, name)

        def counting(source: Any) -> Any:
            self.paths.append(source.path)
            return real(source)
        monkeypatch.setattr(module, name, counting)


Opened = Counted


@pytest.mark.parametrize("kind", [pytest.param(k, marks=[] if k in QUICK else [pytest.mark.slow]) for k in sorted(CASES)])
def test_a_cached_run_gives_the_full_runs_result_for_every_check_type(kind: str, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    contract = contract_of(kind, tmp_path)
    paths = write_parts(tmp_path, _rows(KIND_OF.get(kind, kind), 120), 4)
    full = validate(contract, paths)
    cache = RunOptions(cache=str(tmp_path / "cache"))
    first = validate(contract, paths, options=cache)
    opened = Opened(monkeypatch)
    again = validate(contract, paths, options=cache)  # every state and every finished result from the cache
    assert drop_entries(tmp_path / "cache", "finished result")
    merged = validate(contract, paths, options=cache)  # the four files' merged states, finished again
    assert drop_entries(tmp_path / "cache", "finished result", "merged state")
    by_file = validate(contract, paths, options=cache)  # each file's states merged and finished again
    assert comparable(first) == comparable(full)
    assert comparable(again) == comparable(full)
    assert comparable(merged) == comparable(full)
    assert comparable(by_file) == comparable(full)
    assert again.dataset.cache is not None and merged.dataset.cache is not None and by_file.dataset.cache is not None
    assert again.dataset.cache.finished == [c.id for c in full.checks] and merged.dataset.cache.finished == []
    assert merged.dataset.cache.merged_files == 4 and by_file.dataset.cache.merged_files == 0
    assert again.dataset.cache is not None and first.dataset.cache is not None
    assert first.dataset.cache.read_files == [p.split("=", 1)[1] for p in paths]
    assert again.dataset.cache.cached_files == first.dataset.cache.read_files
    assert again.dataset.cache.read_files == merged.dataset.cache.read_files == [] and opened.paths == []
    assert again.warnings == merged.warnings == by_file.warnings == first.warnings == full.warnings


@pytest.mark.parametrize("kind", [pytest.param(k, marks=[] if k in QUICK else [pytest.mark.slow]) for k in sorted(CASES)])
def test_an_appended_run_on_the_merged_states_gives_the_full_runs_result_for_every_check_type(
        kind: str, tmp_path: Path) -> None:
    contract = contract_of(kind, tmp_path)
    paths = write_parts(tmp_path, _rows(KIND_OF.get(kind, kind), 150), 5)
    cache = RunOptions(cache=str(tmp_path / "cache"))
    validate(contract, paths[:4], options=cache)  # writes the four files' merged states
    appended = validate(contract, paths, options=cache)
    assert appended.dataset.cache is not None and appended.dataset.cache.merged_files == 4
    assert appended.dataset.cache.read_files == [paths[4].split("=", 1)[1]]
    assert comparable(appended) == comparable(validate(contract, paths))


def test_after_appending_a_file_only_that_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    contract, paths, cache = cached_then_appended(tmp_path, 150, 120)
    opened = Opened(monkeypatch)
    appended = validate(contract, paths, options=cache)
    assert opened.paths == [str(tmp_path / "part4.jsonl")]
    assert appended.dataset.cache is not None
    assert appended.dataset.cache.read_files == [str(tmp_path / "part4.jsonl")]
    assert len(appended.dataset.cache.cached_files) == 4
    monkeypatch.undo()
    assert comparable(appended) == comparable(validate(contract, paths))


def test_a_file_that_sorts_earlier_moves_the_files_after_it_and_they_are_read_again(tmp_path: Path) -> None:
    contract = contract_of("sft", tmp_path)
    paths = write_parts(tmp_path, _rows("sft", 120), 4)
    cache = RunOptions(cache=str(tmp_path / "cache"))
    validate(contract, paths, options=cache)
    (tmp_path / "early.jsonl").write_text(json.dumps(_rows("sft", 1)[0]) + "\n")
    moved = [paths[0], f"train={tmp_path / 'early.jsonl'}", *paths[1:]]  # part0 keeps index 0, the rest move
    result = validate(contract, moved, options=cache)
    assert result.dataset.cache is not None
    assert result.dataset.cache.cached_files == [str(tmp_path / "part0.jsonl")]
    assert comparable(result) == comparable(validate(contract, moved))


def test_after_editing_one_checks_options_only_that_check_is_folded_again(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    checks = "  format:\n    - type: max_tokens\n      limit: 5\n    - type: whitespace\n" \
             "  uniqueness:\n    - type: exact_duplicates\n"
    paths = write_parts(tmp_path, _rows("sft", 120), 3)
    cache = RunOptions(cache=str(tmp_path / "cache"))
    validate(contract_of("sft", tmp_path, checks), paths, options=cache)
    edited = contract_of("sft", tmp_path, checks.replace("limit: 5", "limit: 7"))
    opened = Opened(monkeypatch)
    result = validate(edited, paths, options=cache)
    assert result.dataset.cache is not None
    files = [p.split("=", 1)[1] for p in paths]
    assert result.dataset.cache.refolded == {f: ["format.max_tokens"] for f in files}
    assert opened.paths == files  # read again, for that check only
    assert result.timings["format.whitespace"] == 0.0 and result.timings["uniqueness.exact_duplicates"] == 0.0
    assert result.timings["format.max_tokens"] > 0.0
    monkeypatch.undo()
    assert comparable(result) == comparable(validate(edited, paths))
    again = validate(edited, paths, options=cache)
    assert again.dataset.cache is not None and again.dataset.cache.read_files == []


def test_a_changed_file_is_read_again_and_an_unchanged_mtime_does_not_hide_it(tmp_path: Path) -> None:
    import os

    contract, paths, cache = two_files(tmp_path)
    validate(contract, paths, options=cache)
    target = tmp_path / "part1.jsonl"
    stat = target.stat()
    text = target.read_text()
    target.write_text(text.replace('"r', '"s', 1))  # same size
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime
    result = validate(contract, paths, options=cache)
    assert result.dataset.cache is not None and result.dataset.cache.read_files == [str(target)]
    assert any("changed without a new size or mtime" in w for w in result.warnings)
    assert comparable(result)["checks"] == comparable(validate(contract, paths))["checks"]


@pytest.mark.slow
def test_workers_write_each_file_and_a_cached_run_on_workers_gives_the_same_result(tmp_path: Path) -> None:
    contract = contract_of("sft", tmp_path)
    paths = write_parts(tmp_path, _rows("sft", 120), 4)
    full = validate(contract, paths)
    cache = RunOptions(workers=2, cache=str(tmp_path / "cache"))
    first = validate(contract, paths, options=cache)
    again = validate(contract, paths, options=RunOptions(cache=str(tmp_path / "cache")))
    assert first.dataset.cache is not None and len(first.dataset.cache.read_files) == 4
    assert again.dataset.cache is not None and again.dataset.cache.read_files == []
    assert comparable(first)["checks"] == comparable(again)["checks"] == comparable(full)["checks"]


def test_limit_does_not_use_the_cache_and_says_so(tmp_path: Path) -> None:
    contract = contract_of("sft", tmp_path)
    paths = write_parts(tmp_path, _rows("sft", 40), 2)
    result = validate(contract, paths, options=RunOptions(limit=10, cache=str(tmp_path / "cache")))
    assert result.dataset.cache is None
    assert any("--cache is not used with --limit" in w for w in result.warnings)


def test_a_remote_files_pre_check_is_its_etag_and_version_and_an_entry_is_bound_to_its_index() -> None:
    from traingate.data.sources import SourceFile
    from traingate.engine.cache_keys import entry_key, identity

    remote = SourceFile("s3://bucket/part0.jsonl", "jsonl", None, "train", 10, etag="e1", version="v1")
    assert identity(remote) == {"size": 10, "mtime_ns": None, "ctime_ns": None, "inode": None, "device": None,
                                "etag": "e1", "version": "v1"}
    assert identity(remote) != identity(SourceFile("s3://bucket/part0.jsonl", "jsonl", None, "train", 10, etag="e2"))
    assert entry_key("a" * 64, remote, 0, "check:x") != entry_key("a" * 64, remote, 1, "check:x")
