"""More attacks on the cache's merged states of leading files (engine/cache_prefix.py) after a run started
finishing from the states it writes (exact duplicates from its summary in the first cached run), Summary.merge
kept a key of one row as three arrays, and a run began discarding the merged state it used: the first cached
run against a run without cache, the summary's merge against the summary of all rows, the discard against
concurrent runs, failed writes and a cache shared by two contracts, and the summary's size on disk."""

from __future__ import annotations

import json
import multiprocessing
import os
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine.test_cache import comparable, contract_of, drop_entries, write_parts
from tests.engine.test_cache_prefix_attacks import _cache, _dupes, _exact, _files, _labels, _merged, _same
from tests.validators.test_merge_law import CASES, KIND_OF, _rows
from traingate.data.rowids import LINE_BITS
from traingate.engine.cache_evict import entries
from traingate.engine.cache_store import Store
from traingate.engine.runner import RunOptions, validate
from traingate.results.model import RunResult
from traingate.validators.uniqueness import exact
from traingate.validators.uniqueness.ranked import Kept
from traingate.validators.uniqueness.summary import NONE, Summary

pytestmark = pytest.mark.slow  # some 40 runs with and without caches: about 12 s of the quick loop

# Summary.merge against Summary.of of the rows together.

EXTREMES = [0, 1, 2, 3, 1 << 63, NONE - 1, NONE, 0x9E3779B97F4A7C15]  # NONE as a key: keys are hashes


def _plain(summary: Summary) -> tuple[Any, ...]:
    """Every array of a summary as lists: two summaries of the same rows are equal, part for part."""
    one, many = summary.one, summary.many
    return (one.keys.tolist(), one.ids.tolist(), None if one.values is None else one.values.tolist(),
            many.keys.tolist(), many.counts.tolist(), many.first.tolist(),
            None if many.low is None else many.low.tolist(), None if many.high is None else many.high.tolist())


def _groups(keyed: Any) -> tuple[list[int], list[list[int]]]:
    return keyed.counts.tolist(), keyed.first.tolist()


def _split(keys: np.ndarray, ids: np.ndarray, values: np.ndarray | None, owner: np.ndarray,
           parts: int) -> list[Summary]:
    return [Summary.of(keys[owner == p], ids[owner == p], None if values is None else values[owner == p])
            for p in range(parts)]


@settings(max_examples=150, deadline=None)
@given(data=st.data(), n=st.integers(0, 60), parts=st.integers(1, 5), tracked=st.booleans())
def test_merging_summaries_of_any_split_in_any_order_is_the_summary_of_all_rows(
        data: st.DataObject, n: int, parts: int, tracked: bool) -> None:
    """Keys drawn from few values with the uint64 extremes among them, row ids unique and interleaved across
    the parts (near the top of uint64 too), content values tracked or not; merged in any order and nesting."""
    pool = data.draw(st.lists(st.sampled_from(EXTREMES), min_size=1, max_size=len(EXTREMES), unique=True))
    keys = np.array(data.draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n)), np.uint64)
    ids = np.array(data.draw(st.lists(st.one_of(st.integers(0, 200), st.integers(NONE - 40, NONE - 1)),
                                      min_size=n, max_size=n, unique=True)), np.uint64)
    values = np.array(data.draw(st.lists(st.sampled_from(EXTREMES[:3] + [NONE]), min_size=n, max_size=n)),
                      np.uint64) if tracked else None
    owner = np.array(data.draw(st.lists(st.integers(0, parts - 1), min_size=n, max_size=n)), np.int64)
    pieces = _split(keys, ids, values, owner, parts)
    whole = Summary.of(keys, ids, values)
    while len(pieces) > 1:  # any two pieces, either way round, until one is left
        i = data.draw(st.integers(0, len(pieces) - 1))
        a = pieces.pop(i)
        j = data.draw(st.integers(0, len(pieces) - 1))
        b = pieces.pop(j)
        pieces.append(a.merge(b) if data.draw(st.booleans()) else b.merge(a))
    assert _plain(pieces[0]) == _plain(whole)
    if parts > 1:  # the last part looked up in the others' summary: the groups of all rows
        head = Summary.of(keys[owner != parts - 1], ids[owner != parts - 1],
                          None if values is None else values[owner != parts - 1])
        tail = Summary.of(keys[owner == parts - 1], ids[owner == parts - 1],
                          None if values is None else values[owner == parts - 1])
        for differ in ([False, True] if tracked else [False]):
            assert _groups(head.groups(tail, differ=differ)) == _groups(whole.groups(differ=differ))


def _ids(*values: int) -> np.ndarray:
    return np.array(values, np.uint64)


SHAPES: dict[str, tuple[list[int], list[int], list[int]]] = {  # keys, ids, which side
    "all_keys_equal": ([7] * 9, list(range(9)), [0, 1, 0, 1, 1, 0, 0, 1, 0]),
    "one_on_left_many_on_right": ([5, 5, 5, 6], [10, 1, 2, 3], [0, 1, 1, 1]),
    "many_on_left_one_on_right": ([5, 5, 6, 5], [1, 2, 3, 0], [0, 0, 0, 1]),
    "one_on_both_sides": ([5, 6, 5, 7], [4, 1, 2, 3], [0, 0, 1, 1]),
    "empty_left": ([1, 1, 2], [3, 4, 5], [1, 1, 1]),
    "empty_right": ([1, 1, 2], [3, 4, 5], [0, 0, 0]),
    "both_empty": ([], [], []),
    "ids_interleaved": ([3, 3, 3, 3, 3, 3, 4, 4], [0, 1, 2, 3, 4, 5, 6, 7], [1, 0, 1, 0, 1, 0, 0, 1]),
    "largest_key_and_ids": ([NONE, NONE, 0, NONE], [NONE - 1, 0, NONE - 2, NONE - 3], [0, 1, 1, 1]),
    "many_on_both_sides": ([2, 2, 2, 2, 9, 9, 9], [0, 1, 5, 6, 2, 3, 4], [0, 0, 1, 1, 0, 1, 1]),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("tracked", [False, True])
def test_merging_two_summaries_of_an_adversarial_split_is_the_summary_of_their_rows(shape: str,
                                                                                   tracked: bool) -> None:
    raw_keys, raw_ids, raw_owner = SHAPES[shape]
    keys, ids, owner = _ids(*raw_keys), _ids(*raw_ids), np.array(raw_owner, np.int64)
    values = (keys * np.uint64(3) + ids % np.uint64(2)) if tracked else None
    left, right = _split(keys, ids, values, owner, 2)
    whole = Summary.of(keys, ids, values)
    assert _plain(left.merge(right)) == _plain(whole) == _plain(right.merge(left))
    kept = Kept(left, right).merge(Kept(right, left))  # content and prompts merged alike
    assert _plain(kept.content) == _plain(kept.prompts) == _plain(whole)  # type: ignore[arg-type]


def test_a_group_of_more_than_three_rows_shows_its_three_first_rows_whatever_side_they_came_from() -> None:
    keys = np.full(12, 4, np.uint64)
    ids = _ids(50, 3, 80, 1, 60, 2, 70, 9, 8, 7, 6, 5)
    sides = [Summary.of(keys[i::3], ids[i::3]) for i in range(3)]
    merged = sides[2].merge(sides[0]).merge(sides[1])
    assert merged.groups().counts.tolist() == [12]
    assert merged.groups().first.tolist() == [[1, 2, 3]]


def test_the_largest_row_id_a_file_can_give_is_not_the_missing_row_marker_short_of_2_to_the_24_files() -> None:
    """A row id is file index << 40 | line: only file 2**24 - 1 at line 2**40 - 1 gives NONE. The largest ids
    below it are shown as members."""
    assert ((1 << 24) - 1) << LINE_BITS | ((1 << LINE_BITS) - 1) == NONE
    top = ((1 << 24) - 1) << LINE_BITS | ((1 << LINE_BITS) - 2)
    realistic = (1 << 20) << LINE_BITS | (1 << 36)  # a million files, 68 billion lines
    summary = Summary.of(_ids(1, 1, 1), _ids(top, realistic, top - 1))
    assert summary.groups().first.tolist() == [[realistic, top - 1, top]]


# The first cached run finishes from the merged state it writes: exact duplicates from its summary.

def _tied(files: int, clusters: int, size: int) -> list[list[dict[str, Any]]]:
    """`clusters` clusters of `size` equal rows each (all of one size: ties throughout), dealt round-robin over
    `files` files beside unique rows; their prompts also repeat with other content (ties there too)."""
    rows = []
    for c in range(clusters):
        rows += [{"prompt": f"p{c % (clusters // 2 or 1)}", "response": f"answer {c}", "n": c % 5}] * size
    rows += [{"prompt": f"p{c}", "response": f"unique {c}", "n": 1} for c in range(clusters)]
    order = np.random.default_rng(clusters).permutation(len(rows))
    return [[rows[i] for i in order[f::files]] for f in range(files)]


def _across(files: int) -> list[list[dict[str, Any]]]:
    """The same rows in every file, and rows repeated in some files only (in case or spacing)."""
    same = [{"prompt": "alpha", "response": "one"}, {"prompt": "beta", "response": "two"}]
    return [same + [{"prompt": "alpha", "response": "ONE " * (f % 3)}, {"prompt": f"q{f % 4}", "response": "x"}]
            for f in range(files)]


DATA = {"tied_size_4": lambda: _tied(5, 40, 4), "tied_size_2_many": lambda: _tied(6, 150, 2),
        "repeated_in_every_file": lambda: _across(8), "random": lambda: [_dupes(300, 41)[i::4] for i in range(4)]}
OPTIONS = {"default": "", "on_response": "      on: [response]\n", "on_prompt": "      on: [prompt]\n",
           "no_normalize": "      normalize: []\n", "keep_longest": "      keep: longest\n",
           "top_0": "      top_clusters: 0\n", "top_1": "      top_clusters: 1\n", "top_100": "      top_clusters: 100\n"}


def _not_from_rows(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the run grouped every row rather than finishing from its summary")


def _summarised_run(contract: Any, paths: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunResult:
    """A cached run that must finish exact duplicates from its summary (grouping every row fails it), which
    writes the merged state of its files and uses none."""
    with monkeypatch.context() as patched:
        patched.setattr(exact, "from_rows", _not_from_rows)
        cached = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(cached) == 0 and _labels(tmp_path / "cache")
    return cached


def _first_cached_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checks: str,
                      chunks: list[list[dict[str, Any]]]) -> tuple[RunResult, RunResult]:
    """The run on an empty cache and the run without cache."""
    contract = contract_of("sft", tmp_path, checks)
    paths = _files(tmp_path, chunks)
    return _summarised_run(contract, paths, tmp_path, monkeypatch), validate(contract, paths)


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_the_first_cached_run_finishes_exact_duplicates_from_its_summary_as_from_every_row(
        name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checks = "  uniqueness:\n    - type: exact_duplicates\n" + OPTIONS[name]
    cached, full = _first_cached_run(tmp_path, monkeypatch, checks, DATA["tied_size_4"]())
    _same(cached, full)
    check = next(c for c in full.checks if c.type == "exact_duplicates")
    assert check.findings  # clusters found: the comparison is not of two empty results


@pytest.mark.parametrize("data", sorted(DATA))
@pytest.mark.parametrize("top", [1, 100])
def test_the_first_cached_run_shows_the_same_clusters_members_and_spans_for_every_shape_of_data(
        data: str, top: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checks = f"  uniqueness:\n    - type: exact_duplicates\n      top_clusters: {top}\n"
    cached, full = _first_cached_run(tmp_path, monkeypatch, checks, DATA[data]())
    _same(cached, full)
    details = next(c for c in full.checks if c.type == "exact_duplicates").details
    assert details["largest_clusters"] and all(len(c["members"]) <= 3 for c in details["largest_clusters"])


@pytest.mark.parametrize("kind", [pytest.param(k, marks=[pytest.mark.slow] if k in {"chat", "expectations"} else [])
                                  for k in sorted(CASES)])
def test_the_first_cached_run_of_every_check_type_gives_the_run_without_caches_result(kind: str,
                                                                                      tmp_path: Path) -> None:
    contract = contract_of(kind, tmp_path)
    paths = write_parts(tmp_path, _rows(KIND_OF.get(kind, kind), 120), 3)
    cached = validate(contract, paths, options=_cache(tmp_path))
    assert _merged(cached) == 0 and {x.split(" · ")[1] for x in _labels(tmp_path / "cache")} == {"first 3 files"}
    _same(cached, validate(contract, paths))


@pytest.mark.parametrize("on", ["", "      on: [response]\n"])
def test_the_run_that_merges_spilled_states_finishes_from_its_summary_as_from_every_row(
        on: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files whose rows went to disk part by part (by prompt key, or by content key without prompts) under a
    memory limit are cached; the next run, without one, summarises those parts into its merged state and
    finishes from it: content keys held in several parts are grouped across them."""
    from traingate.data import jsonl_reader
    from traingate.engine import fold

    monkeypatch.setattr(jsonl_reader, "BLOCK_BYTES", 2048)
    contract = contract_of("sft", tmp_path, "  uniqueness:\n    - type: exact_duplicates\n      top_clusters: 100\n" + on)
    paths = _files(tmp_path, _tied(4, 60, 4) + _across(2))
    readings = iter([500.0, 10.0, 500.0, 10.0, 500.0])  # over the limit in the first files: their keys spill
    monkeypatch.setattr(fold, "rss_mib", lambda: next(readings, 10.0))
    spilled = validate(contract, paths, options=_cache(tmp_path, max_memory_mib=100, workers=1))
    assert spilled.dataset.memory_actions and _labels(tmp_path / "cache") == []
    monkeypatch.setattr(fold, "rss_mib", lambda: 10.0)
    drop_entries(tmp_path / "cache", "finished result")
    _same(_summarised_run(contract, paths, tmp_path, monkeypatch), validate(contract, paths))


@pytest.mark.slow
def test_the_first_cached_run_on_worker_processes_finishes_from_its_summary_as_from_every_row(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checks = "  uniqueness:\n    - type: exact_duplicates\n      top_clusters: 100\n"
    contract = contract_of("sft", tmp_path, checks)
    paths = _files(tmp_path, _tied(6, 60, 4))
    cached = validate(contract, paths, options=_cache(tmp_path, workers=2))
    assert _merged(cached) == 0 and {x.split(" · ")[1] for x in _labels(tmp_path / "cache")} == {"first 6 files"}
    _same(cached, validate(contract, paths))
    (tmp_path / "more").mkdir()
    more = paths + _files(tmp_path / "more", _tied(2, 10, 3))
    appended = validate(contract, more, options=_cache(tmp_path, workers=2))
    assert _merged(appended) == 6
    _same(appended, validate(contract, more))


def _handed(contract: Any, paths: list[str], options: RunOptions | None) -> tuple[Any, ...]:
    records: list[dict[str, Any]] = []
    got: list[Any] = []
    result = validate(contract, paths, options=options, evidence=records.extend,
                      finished=lambda run: got.append((list(run.rejected_rows("error")), list(run.clusters()))))
    return comparable(result)["checks"], records, got[0][0], got[0][1]


def test_evidence_rejects_and_clusters_runs_around_a_first_cached_run_are_those_of_a_run_without_cache(
        tmp_path: Path) -> None:
    contract = contract_of("sft", tmp_path, _exact("      keep: {highest: n}\n"))
    paths = _files(tmp_path, _tied(4, 20, 5))
    full = _handed(contract, paths, None)
    assert full[1] and full[2] and full[3]
    assert _handed(contract, paths, _cache(tmp_path)) == full  # on an empty cache: no merged state
    assert _labels(tmp_path / "cache") == []
    validate(contract, paths, options=_cache(tmp_path))  # writes the merged state and finishes from it
    assert _labels(tmp_path / "cache")
    assert _handed(contract, paths, _cache(tmp_path)) == full


# The merged state a run used, discarded: by another run at the same time, or after a write that partly failed.

def _grown(tmp_path: Path, checks: str | None = None) -> tuple[Any, list[str]]:
    """A contract and 8 files whose first 4 have their merged state in the cache."""
    contract = contract_of("sft", tmp_path, checks or _exact() + "  format:\n    - type: max_tokens\n      limit: 5\n")
    rows = _dupes(320, seed=29)
    paths = _files(tmp_path, [rows[i * 40:(i + 1) * 40] for i in range(8)])
    validate(contract, paths[:4], options=_cache(tmp_path))
    assert {x.split(" · ")[1] for x in _labels(tmp_path / "cache")} == {"first 4 files"}
    return contract, paths


def _merged_keys(cache: Path) -> set[str]:
    return {os.path.basename(e.path)[: -len(".entry")] for e in entries(str(cache)) if e.label.endswith("merged state")}


@pytest.mark.parametrize("after", [0, 1])
def test_a_merged_state_discarded_by_another_run_while_it_is_loaded_leaves_the_run_exact(
        after: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another run discards the merged state as this one loads it: before its first entry is read (after the
    lookup found them all), or after its shared part was read. The files' own entries stand in."""
    contract, paths = _grown(tmp_path)
    keys, reads = _merged_keys(tmp_path / "cache"), []
    real = Store.get

    def racing(store: Store, key: str) -> Any:
        if key not in keys:
            return real(store, key)
        reads.append(key)
        if len(reads) == 1 + after:
            for gone in keys:
                store.discard(gone)
        return real(store, key)
    monkeypatch.setattr(Store, "get", racing)
    result = validate(contract, paths[:6], options=_cache(tmp_path))
    monkeypatch.undo()
    assert len(reads) == 1 + after and _merged(result) == 0
    _same(result, validate(contract, paths[:6]))
    assert {x.split(" · ")[1] for x in _labels(tmp_path / "cache")} == {"first 6 files"}


def _grow_in_child(folder: str, paths: list[str], counts: list[int]) -> None:
    """Runs over growing and shrinking leading files, each compared with a run without cache."""
    contract = contract_of("sft", Path(folder), _exact())
    for count in counts:
        _dropping(Path(folder) / "cache", "finished result") if count % 2 else None
        cached = validate(contract, paths[:count], options=_cache(Path(folder)))
        a, b = comparable(cached), comparable(validate(contract, paths[:count]))
        for side in (a, b):
            side["warnings"] = [w for w in side.get("warnings", []) if not w.startswith("cache: ")]
        if a != b:
            differ = [key for key in a if a[key] != b.get(key)]
            raise SystemExit(f"{count} files: the cached run differs in {differ}: "
                             + json.dumps({key: [a[key], b.get(key)] for key in differ}, default=str)[:3000])


def _dropping(cache: Path, *endings: str) -> None:
    for entry in entries(str(cache)):
        if entry.label.endswith(endings):
            with suppress(FileNotFoundError):  # the other process removed it first
                os.unlink(entry.path)


@pytest.mark.slow
def test_two_processes_writing_and_discarding_generations_at_once_stay_exact(tmp_path: Path) -> None:
    contract, paths = _grown(tmp_path, _exact())
    context = multiprocessing.get_context("spawn")
    runs = [context.Process(target=_grow_in_child, args=(str(tmp_path), paths, counts))
            for counts in ([5, 6, 7, 8, 6, 8], [8, 5, 7, 6, 8, 7])]
    for process in runs:
        process.start()
    for process in runs:
        process.join(120)
        assert process.exitcode == 0
    drop_entries(tmp_path / "cache", "finished result")
    result = validate(contract, paths, options=_cache(tmp_path))
    _same(result, validate(contract, paths))


@pytest.mark.parametrize("failing", ["uniqueness.exact_duplicates", "format.max_tokens"])
def test_a_new_merged_state_missing_one_checks_entry_keeps_the_old_one_and_is_never_used(
        failing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    contract, paths = _grown(tmp_path)
    real = Store.put

    def full_disk(store: Store, key: str, value: Any, label: str) -> int:
        if label.endswith(f"{failing} · merged state"):
            raise OSError(28, "No space left on device")
        return real(store, key, value, label)
    monkeypatch.setattr(Store, "put", full_disk)
    six = validate(contract, paths[:6], options=_cache(tmp_path))
    monkeypatch.undo()
    assert any(f"{failing} · merged state could not be written" in w for w in six.warnings)
    _same(six, validate(contract, paths[:6]))
    kept = {x.split(" · ")[1] for x in _labels(tmp_path / "cache")}
    assert kept == {"first 4 files", "first 6 files"}  # the old whole, the new without one entry
    drop_entries(tmp_path / "cache", "finished result")
    again = validate(contract, paths[:6], options=_cache(tmp_path))
    assert _merged(again) == 4  # not the new one: it lacks an entry
    _same(again, validate(contract, paths[:6]))
    old = {x.split(" · ")[2] for x in _labels(tmp_path / "cache") if x.split(" · ")[1] == "first 4 files"}
    assert old == {"shared"}  # written whole now: the checks' old entries went (the shared part's stays)


# A cache shared by two contracts whose shared part (statistics, presence, types, faults) has one key.

X_CHECKS = "  uniqueness:\n    - type: exact_duplicates\n      top_clusters: 3\n"
MIN_CHARS = "  format:\n    - type: min_chars\n      limit: 3\n"
Y_OWN = X_CHECKS.replace("top_clusters: 3", "top_clusters: 5") + MIN_CHARS  # no check in common with X
Y_SHARING = X_CHECKS + MIN_CHARS  # X's exact duplicates check, and one of its own


def _alternate(tmp_path: Path, y_checks: str, files: int = 10) -> tuple[list[int], list[str]]:
    """Contracts X and Y run in turn over 2, 3, ... `files` files, each run exact: Y's merged files per
    run, and the merged-state entries left in the cache (label: files · check)."""
    x, y = contract_of("sft", tmp_path, X_CHECKS), contract_of("sft", tmp_path, y_checks)
    rows = _dupes(40 * files, seed=33)
    paths = _files(tmp_path, [rows[i * 40:(i + 1) * 40] for i in range(files)])
    y_merged = []
    for count in range(2, files + 1):
        for contract in (x, y):
            result = validate(contract, paths[:count], options=_cache(tmp_path))
            _same(result, validate(contract, paths[:count]))
        y_merged.append(_merged(result))
    return y_merged, [" · ".join(x.split(" · ")[1:3]) for x in _labels(tmp_path / "cache")]


def test_two_contracts_sharing_a_cache_in_turn_over_growing_data_give_exact_results(tmp_path: Path) -> None:
    y_merged, _ = _alternate(tmp_path, Y_OWN, 6)
    assert len(y_merged) == 5 and any(y_merged)  # Y finished from a merged state of its own at times


def test_two_contracts_sharing_a_cache_leave_no_merged_state_that_no_run_can_use(tmp_path: Path) -> None:
    _, left = _alternate(tmp_path, Y_OWN)
    generations: dict[str, set[str]] = {}
    for label in left:
        count, part = label.split(" · ")
        generations.setdefault(count, set()).add(part)
    unusable = sorted(f"{count} · {part}" for count, parts in generations.items() if "shared" not in parts
                      for part in parts)
    assert unusable == []


def test_a_contract_sharing_a_check_with_another_in_one_cache_still_gets_a_merged_state(tmp_path: Path) -> None:
    y_merged, _ = _alternate(tmp_path, Y_SHARING, 6)
    assert any(y_merged)


def test_after_editing_a_check_over_unchanged_files_the_next_appended_run_uses_a_merged_state(tmp_path: Path) -> None:
    _, paths = _grown(tmp_path)
    edited = contract_of("sft", tmp_path, _exact() + "  format:\n    - type: max_tokens\n      limit: 2\n")
    same_files = validate(edited, paths[:4], options=_cache(tmp_path))
    assert same_files.dataset.cache is not None and same_files.dataset.cache.finished  # the unedited check's
    _same(same_files, validate(edited, paths[:4]))
    appended = validate(edited, paths[:5], options=_cache(tmp_path))
    _same(appended, validate(edited, paths[:5]))
    assert _merged(appended) == 4
    assert {x.split(" · ")[1] for x in _labels(tmp_path / "cache")} == {"first 4 files"}


# The size of the summary on disk against the files' own states.

@pytest.mark.parametrize("shape", ["all_unique", "all_duplicate"])
def test_the_summary_on_disk_against_the_files_states(shape: str, tmp_path: Path) -> None:
    """sft rows (content key, row id, prompt key: 24 bytes a row; 32 with the sorted content keys the cache
    keeps beside them). All unique: each key is held by one row, 16 bytes by content and 24 by prompt (its
    content key beside it): 40 bytes a row, more than the files' states. All duplicate: one group a key."""
    n = 4000
    rows = [{"prompt": f"p{i}", "response": f"r{i}"} if shape == "all_unique" else {"prompt": "p", "response": "r"}
            for i in range(n)]
    contract = contract_of("sft", tmp_path, "  uniqueness:\n    - type: exact_duplicates\n")
    paths = _files(tmp_path, [rows[i::4] for i in range(4)])
    validate(contract, paths, options=_cache(tmp_path))
    sizes: dict[bool, int] = {True: 0, False: 0}
    for entry in entries(str(tmp_path / "cache")):
        if "exact_duplicates" in entry.label and not entry.label.endswith("finished result"):
            sizes[entry.label.endswith("merged state")] += os.path.getsize(entry.path)
    files, merged = sizes[False], sizes[True]
    assert 32 * n <= files <= 32 * n + 4 * 4096  # 4 entries, each a header and a pickle besides the arrays
    if shape == "all_unique":
        assert 40 * n <= merged <= 40 * n + 4096
    else:
        assert merged <= 4096
    print(json.dumps({"shape": shape, "rows": n, "files_bytes_per_row": round(files / n, 1),
                      "merged_bytes_per_row": round(merged / n, 2)}))
