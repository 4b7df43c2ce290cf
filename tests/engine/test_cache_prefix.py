"""The merged state of a run's leading files (engine/cache_prefix.py): when it is written, when it is used, and
that a run finishing from it gives the full run's result; exact duplicates' summary of those files' rows
(validators/uniqueness/summary.py) against grouping every row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.engine.test_cache import cached_then_appended, comparable, contract_of, drop_entries, write_parts
from tests.validators.test_merge_law import _rows
from traingate.engine.cache_evict import entries
from traingate.engine.cache_store import Store
from traingate.engine.runner import RunOptions, validate
from traingate.validators.common.grouping import clusters
from traingate.validators.uniqueness import ranked
from traingate.validators.uniqueness.exact import ExactDuplicatesValidator
from traingate.validators.uniqueness.summary import NONE, Summary


def _merged_labels(cache: Path) -> set[str]:
    return {e.label.split(" · ")[1] for e in entries(str(cache)) if e.label.endswith("merged state")}


def _generations(cache: Path) -> dict[str, set[str]]:
    """Each merged state's leading files ("first 4 files") -> its parts ("shared", check ids)."""
    found: dict[str, set[str]] = {}
    for entry in entries(str(cache)):
        if entry.label.endswith("merged state"):
            found.setdefault(entry.label.split(" · ")[1], set()).add(entry.label.split(" · ")[2])
    return found


def _as_lists(keyed: Any) -> list[tuple[int, list[int]]]:
    return [(int(c), [int(i) for i in f if i != NONE]) for c, f in zip(keyed.counts, keyed.first)]


def _expected(keys: np.ndarray, ids: np.ndarray, values: np.ndarray | None) -> list[tuple[int, list[int]]]:
    return [(len(g), [int(i) for i in g[:3]]) for g in clusters(keys, ids, values)]


@pytest.mark.parametrize("seed", range(40))
def test_a_summary_and_the_rows_after_it_group_as_all_the_rows_grouped_at_once(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 400))
    keys = (rng.integers(0, int(rng.integers(1, 300)), n) * 7919).astype(np.uint64)
    ids = rng.permutation(4 * n)[:n].astype(np.uint64)  # row ids in any order: a merge need not be in data order
    values = rng.integers(0, int(rng.integers(1, 4)), n).astype(np.uint64)
    cut = int(rng.integers(0, n + 1))
    for tracked, differ in ((None, False), (values, True)):
        head = Summary.of(keys[:cut], ids[:cut], None if tracked is None else tracked[:cut])
        tail = Summary.of(keys[cut:], ids[cut:], None if tracked is None else tracked[cut:])
        expected = _expected(keys, ids, tracked)
        assert _as_lists(head.groups(tail, differ=differ)) == expected
        assert _as_lists(tail.groups(head, differ=differ)) == expected
        assert _as_lists(head.merge(tail).groups(differ=differ)) == expected
        assert _as_lists(Summary.of(keys, ids, tracked).groups(differ=differ)) == expected


def test_a_summary_keeps_a_key_of_one_row_in_its_key_and_row_id_alone() -> None:
    keys = np.arange(1000, dtype=np.uint64)
    summary = Summary.of(keys, keys + 5, keys * 3)
    assert len(summary.one) == 1000 and len(summary.many) == 0
    assert summary.one.ids.tolist() == (keys + 5).tolist() and summary.one.values is not None


def test_a_run_writes_the_merged_state_when_the_one_it_used_covers_too_few_files(tmp_path: Path) -> None:
    contract = contract_of("sft", tmp_path)
    paths = write_parts(tmp_path, _rows("sft", 140), 7)
    cache = RunOptions(cache=str(tmp_path / "cache"))
    validate(contract, paths[:4], options=cache)
    assert _merged_labels(tmp_path / "cache") == {"first 4 files"}
    five = validate(contract, paths[:5], options=cache)  # 4 of 5 merged already: at least three quarters
    assert five.dataset.cache is not None and five.dataset.cache.merged_files == 4
    assert _merged_labels(tmp_path / "cache") == {"first 4 files"}
    six = validate(contract, paths[:6], options=cache)  # 4 of 6: written anew, and the checks' of 4 files go
    assert six.dataset.cache is not None and six.dataset.cache.merged_files == 4
    assert _generations(tmp_path / "cache") == {"first 4 files": {"shared"},
                                                "first 6 files": {"shared", *(c.id for c in six.checks)}}
    seven = validate(contract, paths, options=cache)
    assert seven.dataset.cache is not None and seven.dataset.cache.merged_files == 6
    assert seven.dataset.cache.read_files == [paths[6].split("=", 1)[1]]
    assert comparable(seven) == comparable(validate(contract, paths))


def test_an_appended_run_finishes_exact_duplicates_from_the_summary_grouping_only_the_new_rows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    contract, paths, cache = cached_then_appended(tmp_path, 200, 160)
    summarised: list[int] = []
    real = ranked.Summary.of
    monkeypatch.setattr(ranked.Summary, "of", lambda keys, *a, **k: summarised.append(len(keys)) or real(keys, *a, **k))
    appended = validate(contract, paths, options=cache)
    assert appended.dataset.cache is not None and appended.dataset.cache.merged_files == 4
    assert summarised == [40, 40]  # the fifth file's rows, by content and by prompt; not the 160 before them
    monkeypatch.undo()
    full = validate(contract, paths)
    assert comparable(appended) == comparable(full)
    check = next(c for c in full.checks if c.type == "exact_duplicates")
    assert check.findings and check.details["same_prompt_different_content"]["prompts"] > 0


def test_a_run_that_lists_every_finding_neither_uses_nor_writes_merged_states(tmp_path: Path) -> None:
    contract = contract_of("sft", tmp_path)
    paths = write_parts(tmp_path, _rows("sft", 90), 3)
    cache = RunOptions(cache=str(tmp_path / "cache"))
    listed: list[dict[str, Any]] = []
    validate(contract, paths, options=cache, evidence=listed.extend)
    assert _merged_labels(tmp_path / "cache") == set()
    validate(contract, paths, options=cache)
    assert _merged_labels(tmp_path / "cache") == {"first 3 files"}
    drop_entries(tmp_path / "cache", "finished result")
    again: list[dict[str, Any]] = []
    cached = validate(contract, paths, options=cache, evidence=again.extend)
    assert cached.dataset.cache is not None and cached.dataset.cache.merged_files == 0
    assert json.dumps(again, sort_keys=True, default=str) == json.dumps(listed, sort_keys=True, default=str)
    assert any(r.get("check") == "uniqueness.exact_duplicates" for r in again)


def test_no_merged_state_is_written_under_a_memory_limit_nor_one_for_a_check_that_fails_to_fold(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    contract = contract_of("sft", tmp_path)
    paths = write_parts(tmp_path, _rows("sft", 60), 2)
    validate(contract, paths, options=RunOptions(cache=str(tmp_path / "limited"), max_memory_mib=100_000))
    assert _merged_labels(tmp_path / "limited") == set()

    def failing(*_: Any) -> Any:
        raise RuntimeError("planted")
    monkeypatch.setattr(ExactDuplicatesValidator, "add_batch", failing)
    result = validate(contract, paths, options=RunOptions(cache=str(tmp_path / "failing")))
    assert next(c.status for c in result.checks if c.type == "exact_duplicates") == "errored"
    written = _generations(tmp_path / "failing")["first 2 files"]
    assert "uniqueness.exact_duplicates" not in written and written == {"shared", *(c.id for c in result.checks
                                                                                    if c.status != "errored")}
    again = validate(contract, paths, options=RunOptions(cache=str(tmp_path / "failing")))  # no state to merge it
    assert again.dataset.cache is not None and again.dataset.cache.merged_files == 0


def test_a_check_that_errs_on_a_field_no_row_holds_errs_the_same_from_the_merged_state(tmp_path: Path) -> None:
    erring = contract_of("sft", tmp_path, "  format:\n    - {type: min_chars, limit: 3, fields: [nowhere]}\n")
    paths = write_parts(tmp_path, _rows("sft", 90), 3)
    cache = RunOptions(cache=str(tmp_path / "cache"))
    validate(erring, paths[:2], options=cache)
    appended = validate(erring, paths, options=cache)
    assert appended.dataset.cache is not None and appended.dataset.cache.merged_files == 2
    assert [c.status for c in appended.checks] == ["errored"]
    assert comparable(appended) == comparable(validate(erring, paths))


def test_a_changed_leading_file_keeps_the_merged_state_from_being_used(tmp_path: Path) -> None:
    contract = contract_of("sft", tmp_path)
    paths = write_parts(tmp_path, _rows("sft", 90), 3)
    cache = RunOptions(cache=str(tmp_path / "cache"))
    validate(contract, paths, options=cache)
    changed = Path(paths[1].split("=", 1)[1])
    changed.write_text(changed.read_text().replace("a", "e", 3))
    result = validate(contract, paths, options=cache)
    assert result.dataset.cache is not None and result.dataset.cache.merged_files == 0
    assert result.dataset.cache.read_files == [str(changed)]
    assert comparable(result) == comparable(validate(contract, paths))


def test_the_merged_state_used_stays_when_the_new_one_cannot_be_written(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    contract = contract_of("sft", tmp_path)
    paths = write_parts(tmp_path, _rows("sft", 120), 6)
    cache = RunOptions(cache=str(tmp_path / "cache"))
    validate(contract, paths[:4], options=cache)
    real = Store.put

    def failing(store: Store, key: str, value: Any, label: str) -> int:
        if label.endswith("shared · merged state"):
            raise OSError(28, "No space left on device")
        return real(store, key, value, label)
    monkeypatch.setattr(Store, "put", failing)
    six = validate(contract, paths, options=cache)
    assert [w for w in six.warnings if "shared · merged state could not be written" in w]
    assert "first 4 files" in _merged_labels(tmp_path / "cache")
    monkeypatch.undo()
    again = validate(contract, paths, options=cache)
    assert again.dataset.cache is not None and again.dataset.cache.merged_files == 4
    assert comparable(again) == comparable(validate(contract, paths))


def test_a_prefix_form_that_fails_leaves_the_check_to_finish_from_its_state_with_a_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    contract = contract_of("sft", tmp_path)
    paths = write_parts(tmp_path, _rows("sft", 60), 2)

    def failing(*_: Any) -> Any:
        raise ValueError("planted")
    monkeypatch.setattr(ExactDuplicatesValidator, "prefix_form", failing)
    result = validate(contract, paths, options=RunOptions(cache=str(tmp_path / "cache")))
    assert [w for w in result.warnings if "uniqueness.exact_duplicates · merged state not written" in w
            and "planted" in w]
    assert "uniqueness.exact_duplicates" not in _generations(tmp_path / "cache")["first 2 files"]
    monkeypatch.undo()
    full = validate(contract, paths)
    assert comparable(result)["checks"] == comparable(full)["checks"]
