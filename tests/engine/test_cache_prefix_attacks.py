"""Attacks on the cache's merged states of a run's leading files (engine/cache_prefix.py): every way a run
that finishes from one could give another verdict, count, sample or finding than a run without a cache, or
trust an entry it must not. Each test compares with a run that reads everything."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.engine.test_cache import comparable, contract_of, drop_entries, write_parts
from tests.validators.test_merge_law import CASES, KIND_OF, _rows
from traingate.contracts.model import Contract
from traingate.engine.cache_evict import entries
from traingate.engine.runner import RunOptions, validate
from traingate.results.model import RunResult

pytestmark = pytest.mark.slow  # some 80 runs with and without caches: about 15 s of the quick loop

QUICK = {"sft", "reward", "preference"}
PROMPTS = ["alpha", "Alpha ", "beta", "gamma", "", "delta"]
ANSWERS = ["one", "ONE", "two", "three", "", "four  five"]


def _dupes(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """sft rows drawn from few prompts and responses: many exact duplicates and many prompts repeated with
    other content, some in case or spacing only."""
    rng = np.random.default_rng(seed)
    return [{"id": f"r{i}", "prompt": PROMPTS[int(rng.integers(len(PROMPTS)))],
             "response": ANSWERS[int(rng.integers(len(ANSWERS)))], "n": int(rng.integers(5))} for i in range(n)]


def _exact(options: str = "") -> str:
    return "  uniqueness:\n    - type: exact_duplicates\n      top_clusters: 4\n" + options


def _write(path: Path, rows: list[dict[str, Any]]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def _files(folder: Path, chunks: list[list[dict[str, Any]]], split: str = "train") -> list[str]:
    return [f"{split}={_write(folder / f'part{i:02d}.jsonl', rows)}" for i, rows in enumerate(chunks)]


def _cache(folder: Path, **extra: Any) -> RunOptions:
    return RunOptions(cache=str(folder / "cache"), **extra)


def _merged(result: RunResult) -> int:
    assert result.dataset.cache is not None
    return result.dataset.cache.merged_files


def _labels(cache: Path) -> list[str]:
    return sorted(e.label for e in entries(str(cache)) if e.label.endswith("merged state"))


def _same(cached: RunResult, full: RunResult) -> None:
    """Everything but times, ids and the cache record; the warnings of entries ignored aside."""
    a, b = comparable(cached), comparable(full)
    a["warnings"] = [w for w in a.get("warnings", []) if not w.startswith("cache: ")]
    b["warnings"] = [w for w in b.get("warnings", []) if not w.startswith("cache: ")]
    assert a == b


# Growing data: generations of merged states, every check type.

@pytest.mark.parametrize("kind", [pytest.param(k, marks=[] if k in QUICK - {"sft"} else [pytest.mark.slow])
                                  for k in sorted(CASES)])
def test_data_grown_a_file_at_a_time_through_generations_of_merged_states_gives_the_full_runs_result(
        kind: str, tmp_path: Path) -> None:
    contract = contract_of(kind, tmp_path)
    paths = write_parts(tmp_path, _rows(KIND_OF.get(kind, kind), 160), 8)
    seen = []
    for count in (2, 3, 5, 6, 8):
        cached = validate(contract, paths[:count], options=_cache(tmp_path))
        seen.append(_merged(cached))
        _same(cached, validate(contract, paths[:count]))
    assert seen == [0, 2, 3, 5, 5]  # each written when the one used covered under 3/4 of the files
    drop_entries(tmp_path / "cache", "finished result")
    again = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(again) == 8
    _same(again, validate(contract, paths))


# Exact duplicates: every option, every shape of data around the leading files.

EXACT_OPTIONS = {
    "default": "",
    "on_response": "      on: [response]\n",
    "on_prompt": "      on: [prompt]\n",
    "on_both": "      on: [prompt, response]\n",
    "keep_longest": "      keep: longest\n",
    "keep_highest": "      keep: {highest: n}\n",
    "no_normalize": "      normalize: []\n",
    "top_zero": "      top_clusters: 0\n",
}


@pytest.mark.parametrize("name", sorted(EXACT_OPTIONS))
def test_exact_duplicates_finishes_from_the_summary_as_from_every_row_whatever_its_options(
        name: str, tmp_path: Path) -> None:
    options = EXACT_OPTIONS[name]
    checks = _exact(options) if "top_clusters" not in options else \
        "  uniqueness:\n    - type: exact_duplicates\n" + options
    contract = contract_of("sft", tmp_path, checks)
    rows = _dupes(300, seed=len(name))
    paths = _files(tmp_path, [rows[:60], rows[60:120], [], rows[120:200], rows[:50], rows[200:300]])
    validate(contract, paths[:4], options=_cache(tmp_path))
    appended = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(appended) == 4
    full = validate(contract, paths)
    _same(appended, full)
    drop_entries(tmp_path / "cache", "finished result")
    whole = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(whole) == 6
    _same(whole, full)


@pytest.mark.parametrize("shape", ["identical", "empty_prefix",
                                   "empty_tail", "tail_repeats_prefix", "unique"])
def test_exact_duplicates_from_the_summary_on_degenerate_data(shape: str, tmp_path: Path) -> None:
    row = {"id": "r", "prompt": "same", "response": "same"}
    rows = _dupes(120, seed=3)
    chunks = {
        "identical": [[row] * 30, [row] * 1, [row] * 40, [row] * 5],
        "empty_prefix": [[], [], rows[:40], rows[40:80]],
        "empty_tail": [rows[:40], rows[40:80], [], []],
        "tail_repeats_prefix": [rows[:40], rows[40:80], rows[:80], rows[40:41]],
        "unique": [[{"prompt": f"p{i}", "response": f"r{i}"} for i in range(j * 20, j * 20 + 20)] for j in range(4)],
    }[shape]
    contract = contract_of("sft", tmp_path, _exact())
    paths = _files(tmp_path, chunks)
    validate(contract, paths[:2], options=_cache(tmp_path))
    appended = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(appended) == 2
    _same(appended, validate(contract, paths))
    drop_entries(tmp_path / "cache", "finished result")
    again = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(again) == 4
    _same(again, validate(contract, paths))


@pytest.mark.parametrize("kind", ["chat", "preference", "pretraining", "reward"])
def test_exact_duplicates_from_the_summary_for_each_kinds_content_and_prompt_fields(kind: str,
                                                                                  tmp_path: Path) -> None:
    contract = contract_of(kind, tmp_path, _exact())
    rows = _rows(kind, 40)
    paths = _files(tmp_path, [rows[:15], rows[15:30], rows[:10], rows[30:40], rows[5:25]])
    validate(contract, paths[:3], options=_cache(tmp_path))
    appended = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(appended) == 3
    _same(appended, validate(contract, paths))


def test_the_rows_shown_from_the_leading_files_are_read_again_from_them(tmp_path: Path) -> None:
    contract = contract_of("sft", tmp_path, _exact())
    rows = _dupes(200, seed=20)
    paths = _files(tmp_path, [rows[i * 40:(i + 1) * 40] for i in range(5)])
    validate(contract, paths[:4], options=_cache(tmp_path))
    appended = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(appended) == 4
    details = appended.checks[0].details
    members = [m for c in details["largest_clusters"] + details["same_prompt_different_content"]["examples"]
               for m in c["members"]]
    leading = {p.split("=", 1)[1] for p in paths[:4]}
    shown = [m for m in members if m["file"] in leading]
    assert shown and all(m["excerpt"] for m in shown)
    for member in shown:  # each excerpt is the row at that line of that file
        row = json.loads(Path(member["file"]).read_text().splitlines()[member["line"] - 1])
        assert member["excerpt"] == f"{row['prompt']} │ {row['response']}"
    _same(appended, validate(contract, paths))


# The files in front of the merged state moved, renamed, removed, relabelled, changed.

def _four_then(tmp_path: Path, checks: str | None = None) -> tuple[Contract, list[str]]:
    contract = contract_of("sft", tmp_path, checks or _exact())
    rows = _dupes(200, seed=11)
    paths = _files(tmp_path, [rows[i * 40:(i + 1) * 40] for i in range(5)])
    validate(contract, paths[:4], options=_cache(tmp_path))
    assert {label.split(" · ")[1] for label in _labels(tmp_path / "cache")} == {"first 4 files"}
    return contract, paths


@pytest.mark.parametrize("change", ["swap_first_two", "drop_first", "drop_second", "rename_third",
                                    "relabel_second", "duplicate_path", "fewer_files"])
def test_leading_files_moved_renamed_or_removed_do_not_use_the_merged_state(change: str, tmp_path: Path) -> None:
    contract, paths = _four_then(tmp_path)
    if change == "rename_third":
        moved = Path(paths[2].split("=", 1)[1])
        os.rename(moved, moved.with_name("renamed.jsonl"))
        paths[2] = f"train={moved.with_name('renamed.jsonl')}"
    changed = {
        "swap_first_two": [paths[1], paths[0], *paths[2:]],
        "drop_first": paths[1:],
        "drop_second": [paths[0], *paths[2:]],
        "rename_third": paths,
        "relabel_second": [paths[0], paths[1].replace("train=", "test="), *paths[2:]],
        "duplicate_path": [paths[0], paths[0], *paths[2:]],
        "fewer_files": paths[:3],
    }[change]
    result = validate(contract, changed, options=_cache(tmp_path))
    assert _merged(result) == 0
    _same(result, validate(contract, changed))


def test_a_leading_file_copied_back_unchanged_is_hashed_and_still_uses_the_merged_state(tmp_path: Path) -> None:
    contract, paths = _four_then(tmp_path)
    second = Path(paths[1].split("=", 1)[1])
    stat, text = second.stat(), second.read_text()
    second.unlink()
    second.write_text(text)  # another inode and ctime, the same size and mtime: hashed, confirmed
    os.utime(second, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(result) == 4 and result.dataset.cache is not None
    assert result.dataset.cache.read_files == [paths[4].split("=", 1)[1]]
    _same(result, validate(contract, paths))
    os.utime(second, ns=(1_000_000_000, 1_000_000_000))  # another mtime: read again, as any file whose stat moved
    touched = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(touched) == 0 and touched.dataset.cache is not None
    assert touched.dataset.cache.read_files == [str(second)]
    _same(touched, validate(contract, paths))


def test_two_leading_files_that_swap_their_contents_do_not_use_the_merged_state(tmp_path: Path) -> None:
    contract, paths = _four_then(tmp_path)
    one, two = (Path(p.split("=", 1)[1]) for p in paths[:2])
    a, b = one.read_text(), two.read_text()
    one.write_text(b)
    two.write_text(a)
    result = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(result) == 0
    _same(result, validate(contract, paths))


def test_states_folded_under_another_line_length_limit_are_not_used(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    contract = contract_of("sft", tmp_path, _exact())
    rows = _dupes(160, seed=18)
    rows[5]["response"] = "x" * 5000
    paths = _files(tmp_path, [rows[i * 40:(i + 1) * 40] for i in range(4)])
    monkeypatch.setenv("TRAINGATE_MAX_LINE_BYTES", "2000")
    short = validate(contract, paths[:2], options=_cache(tmp_path))
    assert short.dataset.fault_counts == {"line_too_long": 1}
    monkeypatch.delenv("TRAINGATE_MAX_LINE_BYTES")
    result = validate(contract, paths, options=_cache(tmp_path))
    full = validate(contract, paths)
    assert full.dataset.fault_counts == {} and full.checks[0].rows == 160
    assert (result.dataset.fault_counts, result.checks[0].rows) == ({}, 160)


def test_two_exact_duplicates_checks_and_a_unique_column_each_finish_from_their_own_merged_state(
        tmp_path: Path) -> None:
    checks = _exact() + "    - type: exact_duplicates\n      name: by_response\n      on: [response]\n" \
        "      keep: longest\n  format:\n    - type: schema\n      columns:\n        prompt: {unique: true}\n"
    contract = contract_of("sft", tmp_path, checks)
    rows = _dupes(200, seed=19)
    paths = _files(tmp_path, [rows[i * 40:(i + 1) * 40] for i in range(5)])
    validate(contract, paths[:3], options=_cache(tmp_path))
    assert len(_labels(tmp_path / "cache")) == 4
    appended = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(appended) == 3
    _same(appended, validate(contract, paths))


@pytest.mark.parametrize("verify", [False, True])
def test_a_leading_file_edited_with_the_same_size_and_mtime_is_found_and_read_again(verify: bool,
                                                                                  tmp_path: Path) -> None:
    contract, paths = _four_then(tmp_path)
    target = Path(paths[1].split("=", 1)[1])
    stat, text = target.stat(), target.read_text()
    target.write_text(text.replace("alpha", "omega", 1))  # the same size
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result = validate(contract, paths, options=_cache(tmp_path, cache_verify=verify))
    assert _merged(result) == 0
    assert result.dataset.cache is not None and result.dataset.cache.read_files[0] == str(target)
    _same(result, validate(contract, paths))


def test_cache_verify_hashes_the_leading_files_and_still_uses_their_merged_state(tmp_path: Path) -> None:
    contract, paths = _four_then(tmp_path)
    result = validate(contract, paths, options=_cache(tmp_path, cache_verify=True))
    assert _merged(result) == 4
    _same(result, validate(contract, paths))


def test_after_editing_one_checks_options_the_merged_state_of_the_others_is_not_mixed_in(tmp_path: Path) -> None:
    checks = "  format:\n    - type: max_tokens\n      limit: 5\n" + _exact()
    contract = contract_of("sft", tmp_path, checks)
    rows = _dupes(200, seed=5)
    paths = _files(tmp_path, [rows[i * 40:(i + 1) * 40] for i in range(5)])
    validate(contract, paths[:4], options=_cache(tmp_path))
    edited = contract_of("sft", tmp_path, checks.replace("limit: 5", "limit: 2"))
    first = validate(edited, paths, options=_cache(tmp_path))
    _same(first, validate(edited, paths))
    drop_entries(tmp_path / "cache", "finished result")
    second = validate(edited, paths, options=_cache(tmp_path))
    assert _merged(second) == 5
    _same(second, validate(edited, paths))
    back = validate(contract, paths, options=_cache(tmp_path))  # the old options: their merged state of 4
    assert _merged(back) == 4
    _same(back, validate(contract, paths))


# The merged state's entries pruned, corrupted, swapped.

def _merged_entries(cache: Path, what: str = "") -> dict[str, Path]:
    """label -> path of the merged states' entries (`what` in the label)."""
    return {e.label: Path(e.path) for e in entries(str(cache)) if e.label.endswith("merged state") and what in e.label}


@pytest.mark.parametrize("part", ["shared", "uniqueness.exact_duplicates", "format.max_tokens"])
def test_a_merged_state_missing_one_entry_is_not_used_and_the_files_own_entries_are(part: str, tmp_path: Path) -> None:
    checks = "  format:\n    - type: max_tokens\n      limit: 5\n" + _exact()
    contract, paths = _four_then(tmp_path, checks)
    (gone,) = _merged_entries(tmp_path / "cache", f"· {part} ·").values()
    gone.unlink()
    result = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(result) == 0 and result.warnings == []
    _same(result, validate(contract, paths))


def test_a_shorter_merged_state_is_used_when_the_longer_one_lost_an_entry(tmp_path: Path) -> None:
    contract = contract_of("sft", tmp_path, _exact())
    rows = _dupes(240, seed=2)
    paths = _files(tmp_path, [rows[i * 40:(i + 1) * 40] for i in range(6)])
    validate(contract, paths[:3], options=_cache(tmp_path))  # writes the first 3 files' merged state
    validate(contract, paths[:2], options=_cache(tmp_path))  # and the first 2's (none used: none goes)
    for path in _merged_entries(tmp_path / "cache", "first 3 files · shared").values():
        path.unlink()
    result = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(result) == 2
    _same(result, validate(contract, paths))


@pytest.mark.parametrize("spoil", ["flip_payload", "truncate", "empty", "check_as_shared", "shared_as_check",
                                   "older_as_newer"])
def test_a_merged_state_entry_spoiled_or_swapped_is_ignored_with_a_warning(spoil: str, tmp_path: Path) -> None:
    contract = contract_of("sft", tmp_path, _exact())
    rows = _dupes(240, seed=4)
    paths = _files(tmp_path, [rows[i * 40:(i + 1) * 40] for i in range(6)])
    validate(contract, paths[:3], options=_cache(tmp_path))
    validate(contract, paths[:2], options=_cache(tmp_path))  # both merged states kept: neither run used one
    newer = _merged_entries(tmp_path / "cache", "first 3 files")
    older = _merged_entries(tmp_path / "cache", "first 2 files")
    check = newer["run · first 3 files · uniqueness.exact_duplicates · merged state"]
    shared = newer["run · first 3 files · shared · merged state"]
    blob = check.read_bytes()
    if spoil == "flip_payload":
        check.write_bytes(blob[:-5] + bytes([blob[-5] ^ 1]) + blob[-4:])
    elif spoil == "truncate":
        check.write_bytes(blob[: len(blob) // 2])
    elif spoil == "empty":
        check.write_bytes(b"")
    elif spoil == "check_as_shared":
        shutil.copyfile(check, shared)
    elif spoil == "shared_as_check":
        shutil.copyfile(shared, check)
    else:
        shutil.copyfile(older["run · first 2 files · uniqueness.exact_duplicates · merged state"], check)
    result = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(result) == 0
    assert [w for w in result.warnings if "merged state of the first 3 files" in w and "was ignored" in w]
    _same(result, validate(contract, paths))
    again = validate(contract, paths, options=_cache(tmp_path))  # the spoiled entry was discarded
    assert again.warnings == [] and _merged(again) == 6


def test_a_merged_state_from_another_cache_directory_is_used_only_for_the_same_files(tmp_path: Path) -> None:
    contract = contract_of("sft", tmp_path, _exact())
    rows = _dupes(200, seed=6)
    one = tmp_path / "one"
    one.mkdir()
    paths = _files(one, [rows[i * 40:(i + 1) * 40] for i in range(5)])
    validate(contract, paths[:4], options=_cache(one))
    shutil.copytree(one / "cache", tmp_path / "copy")  # the same key signs both (this user's)
    copied = validate(contract, paths, options=RunOptions(cache=str(tmp_path / "copy")))
    assert _merged(copied) == 4
    _same(copied, validate(contract, paths))
    other = tmp_path / "two"
    other.mkdir()
    moved = _files(other, [rows[i * 40:(i + 1) * 40] for i in range(5)])  # the same content elsewhere
    elsewhere = validate(contract, moved, options=RunOptions(cache=str(tmp_path / "copy")))
    assert _merged(elsewhere) == 0
    _same(elsewhere, validate(contract, moved))


def test_merged_states_signed_with_another_key_are_ignored_with_a_warning(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.engine.cache_files import KEY_ENV

    monkeypatch.setenv(KEY_ENV, "a" * 64)
    contract, paths = _four_then(tmp_path)
    assert len(_merged_entries(tmp_path / "cache")) == 2
    monkeypatch.setenv(KEY_ENV, "b" * 64)
    result = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(result) == 0 and [w for w in result.warnings if "was ignored" in w]
    _same(result, validate(contract, paths))


def test_a_cache_bound_that_evicts_merged_states_and_files_entries_leaves_every_run_exact(tmp_path: Path) -> None:
    checks = "  format:\n    - type: max_tokens\n      limit: 5\n" + _exact()
    contract = contract_of("sft", tmp_path, checks)
    rows = _dupes(280, seed=8)
    paths = _files(tmp_path, [rows[i * 40:(i + 1) * 40] for i in range(7)])
    full = {n: validate(contract, paths[:n]) for n in (3, 6, 7)}
    validate(contract, paths[:3], options=_cache(tmp_path))
    validate(contract, paths[:6], options=_cache(tmp_path))  # about 290 kB of entries
    seen = set()
    for bound in (300_000, 240_000, 180_000, 120_000):
        for count in (6, 7, 3):
            drop_entries(tmp_path / "cache", "finished result")
            result = validate(contract, paths[:count], options=_cache(tmp_path, cache_max_bytes=bound))
            _same(result, full[count])
            seen.add(_merged(result))
            assert sum(e.bytes for e in entries(str(tmp_path / "cache"))) <= bound
    assert {0, 3, 6} <= seen  # the longest merged state, a shorter one left by the bound, none


# Runs that hand their states on, a memory limit, workers.

def test_evidence_rejects_and_clusters_after_merged_states_are_those_of_a_run_without_cache(tmp_path: Path) -> None:
    checks = _exact("      keep: {highest: n}\n") + "    - type: near_duplicates\n      threshold: 0.5\n"
    contract, paths = _four_then(tmp_path, checks)
    validate(contract, paths, options=_cache(tmp_path))  # 4 of 5 merged

    def handed(options: RunOptions | None) -> tuple[RunResult, list[dict[str, Any]], list[Any], list[Any]]:
        records: list[dict[str, Any]] = []
        got: list[Any] = []
        result = validate(contract, paths, options=options, evidence=records.extend,
                          finished=lambda run: got.append((list(run.rejected_rows("error")), list(run.clusters()))))
        return result, records, got[0][0], got[0][1]

    cached, full = handed(_cache(tmp_path)), handed(None)
    assert _merged(cached[0]) == 0
    _same(cached[0], full[0])
    assert cached[1:] == full[1:] and cached[2] and cached[3]
    after = validate(contract, paths, options=_cache(tmp_path))  # the merged state still there for the next run
    assert after.dataset.cache is not None and len(after.dataset.cache.finished) == 2 and _merged(after) == 4
    drop_entries(tmp_path / "cache", "finished result")
    assert _merged(validate(contract, paths, options=_cache(tmp_path))) == 4


def test_a_run_under_a_memory_limit_that_spills_finishes_from_a_merged_state_written_without_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.data import jsonl_reader
    from traingate.engine import fold

    monkeypatch.setattr(jsonl_reader, "BLOCK_BYTES", 2048)
    checks = _exact() + "    - type: near_duplicates\n      threshold: 0.5\n" \
        "  format:\n    - type: schema\n      columns:\n        id: {unique: true}\n"
    contract = contract_of("sft", tmp_path, checks)
    rows = _dupes(300, seed=9) + _dupes(60, seed=9)  # ids repeat in the last file
    paths = _files(tmp_path, [rows[:90], rows[90:180], rows[180:270], rows[270:]])
    validate(contract, paths[:3], options=_cache(tmp_path))
    readings = iter([500.0, 10.0])  # over the limit once, in the appended file: its rows spill
    monkeypatch.setattr(fold, "rss_mib", lambda: next(readings, 10.0))
    limited = validate(contract, paths, options=_cache(tmp_path, max_memory_mib=100, workers=1))
    assert limited.dataset.memory_actions and _merged(limited) == 3
    monkeypatch.setattr(fold, "rss_mib", lambda: 10.0)
    assert comparable(limited)["checks"] == comparable(validate(contract, paths))["checks"]
    assert {label.split(" · ")[1] for label in _labels(tmp_path / "cache")} == {"first 3 files"}  # none under it


@pytest.mark.slow
def test_workers_fold_the_files_after_a_merged_state_and_the_result_is_the_full_runs(tmp_path: Path) -> None:
    contract = contract_of("sft", tmp_path)
    paths = write_parts(tmp_path, _rows("sft", 200), 8)
    validate(contract, paths[:3], options=_cache(tmp_path, workers=2))
    appended = validate(contract, paths, options=_cache(tmp_path, workers=2))
    assert _merged(appended) == 3
    _same(appended, validate(contract, paths))
    drop_entries(tmp_path / "cache", "finished result")
    again = validate(contract, paths, options=_cache(tmp_path, workers=2))
    assert _merged(again) == 8
    _same(again, validate(contract, paths))


# Other inputs.

def test_parquet_files_behind_a_merged_state_give_the_full_runs_result(tmp_path: Path) -> None:
    contract = contract_of("sft", tmp_path)
    rows = _rows("sft", 150)
    paths = []
    for i in range(5):
        path = tmp_path / f"part{i}.parquet"
        pq.write_table(pa.Table.from_pylist(rows[i * 30:(i + 1) * 30]), path, row_group_size=7)
        paths.append(f"{'train' if i < 3 else 'test'}={path}")
    validate(contract, paths[:3], options=_cache(tmp_path))
    appended = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(appended) == 3
    _same(appended, validate(contract, paths))


def test_split_labels_change_the_leading_files_merged_state_not_reuse_it(tmp_path: Path) -> None:
    checks = "  uniqueness:\n    - type: split_leakage\n      threshold: 0.5\n" + _exact().split("\n", 1)[1]
    contract = contract_of("sft", tmp_path, checks)
    rows = _dupes(160, seed=12)
    train = _files(tmp_path, [rows[i * 40:(i + 1) * 40] for i in range(4)])
    validate(contract, train[:3], options=_cache(tmp_path))
    relabelled = [train[0], train[1].replace("train=", "test="), train[2], train[3].replace("train=", "test=")]
    result = validate(contract, relabelled, options=_cache(tmp_path))
    assert _merged(result) == 0
    _same(result, validate(contract, relabelled))
    leak = next(c for c in result.checks if c.type == "split_leakage")
    assert leak.findings


def test_a_run_stopped_part_way_writes_no_merged_state_and_the_next_one_continues_exactly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.engine import cache_run

    contract = contract_of("sft", tmp_path, _exact())
    rows = _dupes(200, seed=21)
    paths = _files(tmp_path, [rows[i * 40:(i + 1) * 40] for i in range(5)])
    validate(contract, paths[:2], options=_cache(tmp_path))
    real = cache_run.fold

    def stopping(contract: Any, validators: Any, files: Any, shards: Any, *args: Any, **kwargs: Any) -> Any:
        if shards[0].file_index == 3:
            raise KeyboardInterrupt
        return real(contract, validators, files, shards, *args, **kwargs)
    monkeypatch.setattr(cache_run, "fold", stopping)
    with pytest.raises(KeyboardInterrupt):
        validate(contract, paths, options=_cache(tmp_path))
    monkeypatch.undo()
    assert {x.split(" · ")[1] for x in _labels(tmp_path / "cache")} == {"first 2 files"}
    resumed = validate(contract, paths, options=_cache(tmp_path))
    assert resumed.dataset.cache is not None and _merged(resumed) == 2
    assert resumed.dataset.cache.read_files == [p.split("=", 1)[1] for p in paths[3:]]  # the third was kept
    _same(resumed, validate(contract, paths))


def test_two_runs_appending_at_once_leave_the_cache_exact(tmp_path: Path) -> None:
    import multiprocessing

    contract = contract_of("sft", tmp_path, _exact())
    rows = _dupes(240, seed=13)
    paths = _files(tmp_path, [rows[i * 40:(i + 1) * 40] for i in range(6)])
    validate(contract, paths[:2], options=_cache(tmp_path))
    context = multiprocessing.get_context("spawn")
    runs = [context.Process(target=_run_in_child, args=(str(tmp_path), paths[:n])) for n in (5, 6, 6, 5)]
    for process in runs:
        process.start()
    for process in runs:
        process.join(60)
        assert process.exitcode == 0
    for count in (5, 6):
        drop_entries(tmp_path / "cache", "finished result")
        result = validate(contract, paths[:count], options=_cache(tmp_path))
        assert result.warnings == [] and _merged(result) in {count, 5}  # the first 6 written, unless its run used 5
        _same(result, validate(contract, paths[:count]))


def _run_in_child(folder: str, paths: list[str]) -> None:
    validate(contract_of("sft", Path(folder), _exact()), paths, options=_cache(Path(folder)))


def test_unreadable_lines_and_changing_column_types_across_the_merged_files_are_counted_as_in_a_full_run(
        tmp_path: Path) -> None:
    checks = _exact() + "  format:\n    - type: schema\n      columns:\n        n: {dtype: int, max: 3}\n" \
        "        id: {unique: true}\n"
    contract = contract_of("sft", tmp_path, checks)
    rows = _dupes(160, seed=14)
    texts = ["".join(json.dumps(r) + "\n" for r in rows[i * 40:(i + 1) * 40]) for i in range(4)]
    texts[1] = texts[1] + "{not json\n" + json.dumps({"id": "r3", "prompt": "alpha", "response": "one", "n": "x"}) + "\n"
    texts[3] = "[1, 2]\n" + texts[3] + json.dumps({"id": 7, "prompt": "", "response": None, "n": 2.5}) + "\n"
    paths = []
    for i, text in enumerate(texts):
        (tmp_path / f"part{i}.jsonl").write_text(text)
        paths.append(f"train={tmp_path / f'part{i}.jsonl'}")
    validate(contract, paths[:2], options=_cache(tmp_path))
    appended = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(appended) == 2
    full = validate(contract, paths)
    _same(appended, full)
    assert sum(full.dataset.fault_counts.values()) >= 2 and len(full.dataset.faults) >= 2


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".csv"])
def test_compressed_and_csv_files_behind_a_merged_state_give_the_full_runs_result(suffix: str, tmp_path: Path) -> None:
    import csv
    import gzip

    contract = contract_of("sft", tmp_path, _exact() + "    - type: near_duplicates\n      threshold: 0.5\n")
    rows = _dupes(150, seed=15)
    paths = []
    for i in range(5):
        path = tmp_path / f"part{i}{suffix}"
        chunk = rows[i * 30:(i + 1) * 30]
        if suffix == ".csv":
            with open(path, "w", newline="") as out:
                writer = csv.DictWriter(out, fieldnames=list(chunk[0]))
                writer.writeheader()
                writer.writerows(chunk)
        else:
            path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in chunk).encode()))
        paths.append(f"train={path}")
    validate(contract, paths[:3], options=_cache(tmp_path))
    appended = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(appended) == 3
    _same(appended, validate(contract, paths))


@pytest.mark.parametrize("keep", ["first", "{highest: n}"])
def test_fields_absent_from_the_leading_files_and_present_after_them(keep: str, tmp_path: Path) -> None:
    contract = contract_of("sft", tmp_path, _exact(f"      keep: {keep}\n"))
    rows = _dupes(160, seed=16)
    bare = [{"prompt": r["prompt"]} for r in rows[:80]]  # neither response nor n
    paths = _files(tmp_path, [bare[:40], bare[40:], rows[80:120], rows[120:]])
    validate(contract, paths[:2], options=_cache(tmp_path))
    appended = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(appended) == 2
    _same(appended, validate(contract, paths))


def test_a_merged_state_written_from_files_whose_states_spilled_to_disk(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.data import jsonl_reader
    from traingate.engine import fold

    monkeypatch.setattr(jsonl_reader, "BLOCK_BYTES", 2048)
    checks = _exact() + "    - type: near_duplicates\n      threshold: 0.5\n"
    contract = contract_of("sft", tmp_path, checks)
    rows = _dupes(400, seed=17)
    paths = _files(tmp_path, [rows[i * 80:(i + 1) * 80] for i in range(5)])
    readings = iter([500.0, 10.0, 500.0, 10.0, 500.0])  # over the limit in the first files: their keys spill
    monkeypatch.setattr(fold, "rss_mib", lambda: next(readings, 10.0))
    spilled = validate(contract, paths[:3], options=_cache(tmp_path, max_memory_mib=100, workers=1))
    assert spilled.dataset.memory_actions and _labels(tmp_path / "cache") == []
    monkeypatch.setattr(fold, "rss_mib", lambda: 10.0)
    drop_entries(tmp_path / "cache", "finished result")
    merged = validate(contract, paths[:3], options=_cache(tmp_path))  # the spilled states merged and written
    assert _merged(merged) == 0 and {x.split(" · ")[1] for x in _labels(tmp_path / "cache")} == {"first 3 files"}
    for path in (tmp_path / "cache").rglob("*.spill"):
        if not any(str(path).startswith(str(p)) for p in _merged_entries(tmp_path / "cache").values()):
            path.unlink()  # the files' own spill copies gone: the merged state keeps its own
    appended = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(appended) == 3
    _same(appended, validate(contract, paths))


# Exact duplicates' merged state against every row, at the level of its states.

def _state(validator: Any, keys: np.ndarray, ids: np.ndarray, prompts: np.ndarray) -> Any:
    from traingate.data.rowids import LINE_BITS

    state = validator.create_state()
    columns = [keys, ids] + ([prompts] if validator.prompt_fields() else [])
    state.table.add(np.column_stack(columns).astype(np.uint64))
    state.rows = len(keys)
    state.files = {int(i) >> LINE_BITS: (f"f{int(i) >> LINE_BITS}", "line") for i in ids}
    return state


def _validator(on: str, tmp_path: Path) -> Any:
    from traingate.engine.fold import build_validators
    from traingate.engine.runner import check_ids

    contract = contract_of("sft", tmp_path, _exact(on))
    (validator,) = build_validators(contract, check_ids(contract))
    return validator


def _finished(validator: Any, state: Any) -> dict[str, Any]:
    result: dict[str, Any] = validator.finalize(state).model_dump(mode="json")
    result.pop("duration_seconds", None)
    return result


@pytest.mark.parametrize("seed", range(30))
def test_a_merged_state_of_leading_rows_finishes_as_every_row_grouped(seed: int, tmp_path: Path) -> None:
    """Random rows over 6 files (some empty, not the first) cut after file k: the leading files' state in its merged form,
    merged with the later files' states, finishes as all the files' states merged. Prompts repeat with other
    content; keys of one row and of many on both sides of the cut."""
    from traingate.data.rowids import LINE_BITS

    rng = np.random.default_rng(seed)
    validator = _validator(["", "      on: [response]\n"][seed % 2], tmp_path)
    sizes = rng.integers(0, 30, 6) * (rng.random(6) > 0.3)
    sizes[0] = max(sizes[0], 1)  # leading files of no rows: the test below
    states = []
    for file, size in enumerate(sizes):
        ids = (np.uint64(file) << np.uint64(LINE_BITS)) + np.sort(rng.choice(1000, size, replace=False)).astype(np.uint64)
        keys = rng.integers(0, int(rng.integers(1, 12)), size).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        prompts = rng.integers(0, int(rng.integers(1, 6)), size).astype(np.uint64) * np.uint64(0x5851F42D4C957F2D)
        states.append(_state(validator, keys, ids, prompts))
    cut = int(rng.integers(0, 6))

    def merged(parts: list[Any]) -> Any:
        out = validator.create_state()
        for part in parts:
            out = validator.merge_states(out, part)
        return out

    expected = _finished(validator, merged([_copy(s) for s in states]))
    leading = validator.prefix_form(merged([_copy(s) for s in states[:cut + 1]]))
    got = _finished(validator, merged([leading] + [_copy(s) for s in states[cut + 1:]]))
    assert got == expected


def _copy(state: Any) -> Any:
    import copy

    return copy.deepcopy(state)


def test_a_merged_state_of_leading_files_without_rows_keeps_the_prompt_conflicts_after_it(tmp_path: Path) -> None:
    validator = _validator("", tmp_path)
    ids = np.arange(4, dtype=np.uint64) + (np.uint64(2) << np.uint64(40))
    later = _state(validator, np.array([1, 2, 3, 4], np.uint64), ids, np.array([9, 9, 9, 8], np.uint64))
    expected = _finished(validator, validator.merge_states(validator.create_state(), _copy(later)))
    assert expected["details"]["same_prompt_different_content"]["prompts"] == 1
    leading = validator.prefix_form(validator.create_state())  # the merged state of two files of no rows
    assert _finished(validator, validator.merge_states(leading, later)) == expected
