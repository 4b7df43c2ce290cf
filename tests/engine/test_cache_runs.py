"""Exact duplicates' cached states keep their rows sorted by prompt key and row id, and a later run orders all
rows by merging those sorted runs: the order is lexsort's, the clusters are the same, and where the runs'
conditions do not hold the rows are sorted whole."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.engine.test_cache import cached_then_appended, comparable, contract_of, drop_entries, write_parts
from tests.validators.test_merge_law import _rows
from traingate.engine.runner import RunOptions, validate
from traingate.validators.common import grouping
from traingate.validators.common.grouping import clusters, holding
from traingate.validators.uniqueness import ranked, runs


def _table(rng: np.random.Generator, start: int, n: int) -> np.ndarray:
    """Rows of (content key, row id, prompt key) with repeated prompts, content keys and the extremes of uint64."""
    prompts = rng.choice(np.array([0, 1, 7, 2**63, 2**64 - 1], dtype=np.uint64), n)
    keys = rng.choice(np.array([3, 5, 2**64 - 2], dtype=np.uint64), n) ^ prompts
    return np.column_stack([keys, np.arange(start, start + n, dtype=np.uint64), prompts])


@pytest.mark.parametrize("seed", range(8))
def test_the_order_of_sorted_runs_is_lexsorts_and_the_clusters_are_the_same(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = [int(s) for s in rng.integers(1, 40, 6)]
    starts = np.cumsum([0, *sizes])
    tables = [_table(rng, int(a), n) for a, n in zip(starts, sizes)]
    tables = [runs.sort_rows(t) if i < 5 else t for i, t in enumerate(tables)]  # the last one in row order
    whole = np.concatenate(tables)
    order = runs.key_order(whole[:, 2])
    assert np.array_equal(whole[order], whole[np.lexsort((whole[:, 1], whole[:, 2]))])
    assert grouping.in_key_order(whole[order, 2], whole[order, 1])
    quick = clusters(whole[:, 2], whole[:, 1], whole[:, 0], order=order)
    plain = clusters(whole[:, 2], whole[:, 1], whole[:, 0])
    assert len(quick) == len(plain) and all(np.array_equal(a, b) for a, b in zip(quick, plain))


def test_a_candidate_order_not_by_key_then_row_id_is_replaced_by_lexsorts() -> None:
    rng = np.random.default_rng(1)
    first, second = runs.sort_rows(_table(rng, 0, 30)), runs.sort_rows(_table(rng, 30, 30))
    shuffled = first[rng.permutation(len(first))]
    for tables, holds in [((first, second), True), ((second, first), False), ((shuffled,), False)]:
        whole = np.concatenate(tables)  # (second, first): the second file's ids before the first's
        keys, ids, values = whole[:, 2], whole[:, 1], whole[:, 0]
        order = runs.key_order(keys)
        assert grouping.in_key_order(keys[order], ids[order]) is holds
        assert [g.tolist() for g in clusters(keys, ids, values, order=order)] == \
            [g.tolist() for g in clusters(keys, ids, values)]
        wrong = np.arange(len(keys))[::-1]  # any order at all: checked, never trusted
        assert [g.tolist() for g in clusters(keys, ids, values, order=wrong)] == \
            [g.tolist() for g in clusters(keys, ids, values)]
    repeated = np.concatenate([first[:1], first[:1]])  # the same row id twice is not an order
    assert not runs.in_order(repeated) and runs.in_order(first) and runs.in_order(first[:1])


def test_an_appended_run_merges_the_cached_sorted_rows_and_gives_the_full_runs_result(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    contract, paths, cache = cached_then_appended(tmp_path, 200, 160)
    assert drop_entries(tmp_path / "cache", "merged state")  # each file's sorted rows, not the merged summary
    used: list[bool] = []
    real = grouping.in_key_order
    monkeypatch.setattr(grouping, "in_key_order", lambda keys, ids: used.append(real(keys, ids)) or used[-1])
    appended = validate(contract, paths, options=replace(cache, max_memory_mib=100_000))  # writes no merged state,
    assert used == [True]  # so it finishes from the cached files' sorted runs and the new rows, by one stable sort
    full = validate(contract, paths)
    assert used == [True, True]  # a run without the cache holds its rows in row id order
    assert comparable(appended) == comparable(full)
    check = next(c for c in full.checks if c.type == "exact_duplicates")
    assert check.findings and check.details["same_prompt_different_content"]["prompts"] > 0


def _prompt_table(rng: np.random.Generator, file: int, n: int, repeat_share: float) -> np.ndarray:
    """A file's rows whose prompts repeat in `repeat_share` of them (drawn from a few), the rest unique."""
    prompts = rng.integers(1 << 40, 1 << 62, n).astype(np.uint64)
    again = rng.random(n) < repeat_share
    prompts[again] = rng.choice(np.array([0, 9, 2**63, 2**64 - 1], dtype=np.uint64), int(again.sum()))
    keys = prompts ^ rng.choice(np.array([0, 3], dtype=np.uint64), n)
    return np.column_stack([keys, (file << runs.LINE_BITS) + np.arange(n, dtype=np.uint64), prompts])


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("repeat_share", [0.0, 0.05, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("layout", ["sorted runs", "row order", "shuffled"])
def test_prompt_conflicts_are_those_of_all_rows_sorted_whole(seed: int, repeat_share: float, layout: str) -> None:
    rng = np.random.default_rng(seed)
    tables = [_prompt_table(rng, f, int(rng.integers(1, 60)), repeat_share) for f in range(4)]
    whole = np.concatenate([runs.sort_rows(t) for t in tables] if layout == "sorted runs" else tables)
    whole = whole[rng.permutation(len(whole))] if layout == "shuffled" else whole
    found = ranked._conflicts(whole)
    plain = clusters(whole[:, 2], whole[:, 1], whole[:, 0])
    assert [g.tolist() for g in found] == [g.tolist() for g in plain]
    assert plain or repeat_share < 0.5  # conflicts to find wherever prompts repeat often


def _plain_repeated(keys: np.ndarray) -> np.ndarray:
    values, counts = np.unique(keys, return_counts=True)
    return values[counts > 1]


@pytest.mark.parametrize("seed", range(6))
def test_the_content_keys_repeated_from_kept_sorted_keys_are_those_of_all_rows(seed: int) -> None:
    rng = np.random.default_rng(seed)
    files = [_table(rng, f << runs.LINE_BITS, int(rng.integers(1, 40))) for f in range(5)]
    kept = {f: np.sort(t[:, 0]) for f, t in enumerate(files) if f % 2 == 0}  # files 1 and 3 folded afresh
    tables = [runs.sort_rows(t) if f in kept else t for f, t in enumerate(files)]
    tables = tables[:3] + np.array_split(tables[3], 3) + tables[4:]  # a fresh file in batches
    whole = np.concatenate(tables)
    found = runs.repeated(tables, kept)
    assert found is not None and np.array_equal(found, _plain_repeated(whole[:, 0]))
    assert len(found) > 4  # searched; and with a few, compared one by one
    for some in (found, found[:4], found[1:2]):
        assert np.array_equal(holding(whole[:, 0], some), np.isin(whole[:, 0], some))
    assert not holding(whole[:, 0], found[:0]).any()


def test_kept_keys_that_are_not_their_files_rows_are_not_used() -> None:
    rng = np.random.default_rng(3)
    first, second = _table(rng, 0, 20), _table(rng, 1 << runs.LINE_BITS, 20)
    assert runs.repeated([first, second], {}) is None
    assert runs.repeated([first, second], {0: np.sort(first[:-1, 0])}) is None  # a row short
    assert runs.repeated([first, second], {2: np.sort(second[:, 0])}) is None  # a file the tables do not hold
    both = np.concatenate([first, second])  # one table of two files: its keys are not one file's
    assert runs.repeated([both], {0: np.sort(first[:, 0])}) is None
    assert np.array_equal(runs.repeated([first, second], {0: np.sort(first[:, 0])}),  # type: ignore[arg-type]
                          _plain_repeated(both[:, 0]))


def test_an_appended_run_finds_repeated_content_from_the_kept_sorted_keys(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    contract, paths, cache = cached_then_appended(tmp_path, 200, 160)
    assert drop_entries(tmp_path / "cache", "merged state")  # each file's sorted rows, not the merged summary
    used: list[bool] = []
    real = ranked.repeated
    monkeypatch.setattr(ranked, "repeated", lambda tables, kept: used.append(real(tables, kept) is not None)
                        or real(tables, kept))
    appended = validate(contract, paths, options=replace(cache, max_memory_mib=100_000))  # writes no merged state,
    assert used == [True]  # so it finishes from each file's sorted rows, not from a summary
    assert comparable(appended) == comparable(validate(contract, paths))
    check = next(c for c in appended.checks if c.type == "exact_duplicates")
    assert check.findings


def test_the_rows_read_again_are_kept_and_an_appended_run_reads_only_rows_no_run_read_before(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.data.rowids import split_row_id
    from traingate.engine import cache_rows
    from traingate.engine.cache_evict import entries

    contract = contract_of("sft", tmp_path)
    rows = _rows("sft", 200)
    paths = write_parts(tmp_path, rows[:160], 4)
    cache = RunOptions(cache=str(tmp_path / "cache"))
    read: list[set[int]] = []
    real = cache_rows.fetch_rows
    monkeypatch.setattr(cache_rows, "fetch_rows", lambda files, columns, wanted, blocks=None:
                        read.append(set(wanted)) or real(files, columns, wanted, blocks))
    validate(contract, paths, options=cache)
    files = {split_row_id(i)[0] for i in read[0]}
    assert len(read) == 1 and len(files) > 1  # the first run reads rows of several files, and keeps them
    assert len([e for e in entries(str(tmp_path / "cache")) if e.label.endswith("rows read again")]) == len(files)
    (tmp_path / "part4.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[140:180]))  # repeats earlier rows
    paths.append(f"test={tmp_path / 'part4.jsonl'}")
    appended = validate(contract, paths, options=cache)
    assert len(read) == 2 and not read[0] & read[1]  # the rows read before are not read again
    assert {split_row_id(i)[0] for i in read[1]} & {4}
    full = validate(contract, paths)
    assert comparable(appended) == comparable(full)
    shown = [m.file for c in full.checks for m in c.samples]
    assert any(not f.endswith("part4.jsonl") for f in shown)  # rows of the cached files are shown


@pytest.mark.parametrize("layout", ["inserted in the middle", "reversed"])
def test_cached_files_listed_in_another_order_give_the_full_runs_result(tmp_path: Path, layout: str) -> None:
    """The cached sorted runs no longer follow one another in row id order: the candidate order is checked and
    the clusters and prompt conflicts are those of a run without the cache."""
    contract, paths, cache = cached_then_appended(tmp_path, 200, 160)
    paths = [*paths[:2], paths[4], *paths[2:4]] if layout == "inserted in the middle" else paths[::-1]
    cached = validate(contract, paths, options=cache)
    full = validate(contract, paths)
    assert comparable(cached) == comparable(full)
    check = next(c for c in full.checks if c.type == "exact_duplicates")
    assert check.findings and check.details["same_prompt_different_content"]["prompts"] > 0
