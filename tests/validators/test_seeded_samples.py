"""Seeded samples: two seeds pick rows as two independent random samples would, not each other's neighbours."""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

import numpy as np
import pytest

from tests.conftest import contract_text
from traingate.results import RunResult
from traingate.validators.common.samples import row_keys, seeded_keys

N, K = 4096, 256


def bottom_k(ids: np.ndarray, seed: int, k: int = K) -> set[int]:
    return set(ids[np.argsort(seeded_keys(ids, seed))[:k]].tolist())


def near_share(a: set[int], b: set[int], reach: int = 3) -> float:
    """Share of b's rows within `reach` lines of one of a's rows (independent samples: about k*(2*reach+1)/n)."""
    return sum(any(r + d in a for d in range(-reach, reach + 1)) for r in b) / len(b)


def test_seed_zero_keeps_the_row_order_of_unseeded_samples() -> None:
    ids = np.arange(1, 1000, dtype=np.uint64)
    assert np.array_equal(seeded_keys(ids, 0), row_keys(ids))


def test_samples_of_different_seeds_overlap_as_independent_samples_do() -> None:
    ids = (np.uint64(2) << np.uint64(40)) | np.arange(1, N + 1, dtype=np.uint64)  # file 2, lines 1..N
    samples = {seed: bottom_k(ids, seed) for seed in (0, 1, 2, 3, -1, 2**64 - 1)}
    expected = K * K / N  # 16 rows in common, standard deviation about 3.9
    for a, b in combinations((0, 1, 2, 3), 2):
        assert expected / 3 < len(samples[a] & samples[b]) < expected * 2
        assert near_share(samples[a], samples[b]) < 0.6  # independent: 1 - (1 - 7/N)**K = 0.35; XOR-ed seeds: 1.0
    assert samples[-1] == samples[2**64 - 1]  # a negative seed is read modulo 2**64


def test_pii_samples_of_seeds_one_two_three_are_not_neighbours(run: Callable[..., RunResult]) -> None:
    pytest.importorskip("presidio_analyzer")
    data = [{"prompt": "q", "response": f"Write to user{i}@acme.com"} for i in range(2000)]
    lines = {}
    for seed in (1, 2, 3):
        (check,) = run(contract_text("sft", f"  compliance:\n    - type: pii\n      recognizers: patterns\n"
                                            f"      sample: {{rows: 40, seed: {seed}}}\n      max_rate: 1\n"), data).checks
        lines[seed] = {e["line"] for e in check.details["evidence"]}
        assert len(lines[seed]) == 40
    for a, b in combinations((1, 2, 3), 2):
        assert len(lines[a] & lines[b]) < 4  # independent samples share 40 * 40 / 2000 = 0.8 rows
        assert near_share(lines[a], lines[b]) < 0.5  # independent: 1 - (1 - 7/2000)**40 = 0.13; XOR-ed seeds: 1.0
