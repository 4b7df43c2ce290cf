"""The reservoir of samples keeps one row per reason besides the rows of smallest key, and stays a mergeable
accumulator: any split of the data, merged in any order, gives the same samples."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from traingate.validators.common.samples import REASONS_KEPT, SAMPLE_CAP, Reservoir, row_keys

Row = tuple[int, list[str]]  # row id, its reasons (the first one shows the row)


def dataset(seed: int, rows: int, reasons: dict[str, int]) -> list[Row]:
    """`rows` rows; reason r in reasons[r] random rows; the rows with no reason left out."""
    rng = np.random.default_rng(seed)
    held: dict[int, list[str]] = {}
    for reason, count in reasons.items():
        for row in rng.choice(rows, size=count, replace=False).tolist():
            held.setdefault(row + 1, []).append(reason)
    return sorted(held.items())


def sample(row: int, reason: str) -> dict[str, object]:
    return {"line": row, "reason": reason}


def fold(rows: list[Row]) -> Reservoir:
    """What a check does with a batch: the rows of smallest key by their first reason, then each reason's
    row of smallest key (validators/common/flags.py)."""
    reservoir = Reservoir()
    if not rows:
        return reservoir
    ids = np.array([row for row, _ in rows], dtype=np.uint64)
    keys = row_keys(ids)
    for pos in reservoir.candidates(keys):
        reservoir.add(int(keys[pos]), sample(rows[pos][0], rows[pos][1][0]))
    for reason in sorted({r for _, held in rows for r in held}):
        at = [k for k, (_, held) in enumerate(rows) if reason in held]
        least = min(at, key=lambda k: int(keys[k]))
        if reservoir.wants(int(keys[least]), reason):
            reservoir.add_reason(int(keys[least]), sample(rows[least][0], reason))
    return reservoir


def fold_split(rows: list[Row], cuts: list[int], order: list[int]) -> Reservoir:
    bounds = sorted({0, *cuts, len(rows)})
    parts = [fold(rows[a:b]) for a, b in zip(bounds, bounds[1:])]
    merged = Reservoir()
    for k in order:  # a permutation of at least as many parts as there are
        if k < len(parts):
            merged = merged.merge(parts[k]) if k % 2 else parts[k].merge(merged)
    return merged


def smallest_row(rows: list[Row], reason: str) -> int:
    held = np.array([row for row, reasons in rows if reason in reasons], dtype=np.uint64)
    return int(held[np.argmin(row_keys(held))])


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**16), cuts=st.lists(st.integers(1, 1999), max_size=8),
       order=st.permutations(list(range(9))))
def test_any_split_merged_in_any_order_gives_the_same_samples(seed: int, cuts: list[int], order: list[int]) -> None:
    rows = dataset(seed, 20_000, {"common": 1500, "middle": 60, "rare": 1, "pair": 2})
    whole = fold(rows)
    split = fold_split(rows, cuts, order)
    assert split.samples() == whole.samples()
    shown = whole.samples()
    assert len(shown) == SAMPLE_CAP
    assert {s["reason"] for s in shown} == {"common", "middle", "rare", "pair"}
    for reason in ("middle", "rare", "pair"):  # each shown by its row of smallest key
        assert sample(smallest_row(rows, reason), reason) in shown


def test_a_reason_of_one_row_shows_beside_a_reason_of_thousands() -> None:
    rows = dataset(3, 100_000, {"thousands": 5000, "hundreds": 500, "one": 1})
    before = {s["reason"] for _, s in fold(rows).items}  # the rows of smallest key alone
    shown = fold(rows).samples()
    assert "one" not in before
    assert [s["reason"] for s in shown].count("one") == 1 and len(shown) == SAMPLE_CAP
    assert sample(smallest_row(rows, "one"), "one") in shown


def test_samples_are_ordered_by_key_and_a_row_may_show_for_two_reasons() -> None:
    rows = [(7, ["a", "b"])]
    shown = fold(rows).samples()
    assert shown == [sample(7, "a"), sample(7, "b")]


@settings(max_examples=20, deadline=None)
@given(cuts=st.lists(st.integers(1, 299), max_size=6), order=st.permutations(list(range(7))))
def test_past_the_kept_reasons_those_first_in_key_order_keep_theirs(cuts: list[int], order: list[int]) -> None:
    rows = [(row, [f"reason{row:03d}"]) for row in range(1, 301)]  # 300 reasons of one row each
    whole, split = fold(rows), fold_split(rows, cuts, order)
    assert split.samples() == whole.samples()
    shown = whole.samples()
    assert len(shown) == REASONS_KEPT  # one a reason, more than the cap of 20
    keys = row_keys(np.arange(1, 301, dtype=np.uint64))
    first = {int(row) + 1 for row in np.argsort(keys)[:REASONS_KEPT]}
    assert {s["line"] for s in shown} == first


def test_offer_builds_a_sample_only_when_it_is_kept() -> None:
    reservoir, built = Reservoir(cap=1), []

    def make(row: int, reason: str) -> dict[str, object]:
        built.append((row, reason))
        return sample(row, reason)

    keys = {row: int(row_keys(np.array([row], dtype=np.uint64))[0]) for row in (1, 2, 3)}
    low, mid, high = sorted(keys, key=keys.__getitem__)
    reservoir.offer(keys[low], "a", lambda: make(low, "a"))
    reservoir.offer(keys[high], "a", lambda: make(high, "a"))  # neither the smallest row nor a's: not built
    reservoir.offer(keys[mid], "b", lambda: make(mid, "b"))  # not among the rows, but b's first: built
    reservoir.offer(keys[low], "c", lambda: make(low, "c"), row=False)  # another reason of a row offered
    assert built == [(low, "a"), (mid, "b"), (low, "c")]
    assert reservoir.samples() == sorted([sample(low, "a"), sample(low, "c"), sample(mid, "b")],
                                         key=lambda s: (keys[s["line"]], s["reason"]))  # type: ignore[index]
