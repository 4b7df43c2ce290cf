"""Feature sketches: any split of the rows merges to the whole's sketch (also across the exact -> histogram
switch and the label cap), every run carries them, and a split run's equal the whole run's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from traingate.contracts import parse_contract
from traingate.data.batch import BatchContext
from traingate.data.tokenizers import get_tokenizer
from traingate.engine.runner import validate
from traingate.engine.stats_collector import StatsCollector
from traingate.validators.common import sketches
from traingate.validators.common.sketches import CategoricalSketch, NumericSketch, bin_edges, merge_sketches

CONTRACT = ("contract: c\nversion: 1.0.0\ndataset: {kind: sft}\nchecks:\n  coverage:\n"
            "    - type: distribution\n      feature: output_format\n      targets: {plain: {min: 0.1}}\n"
            "    - type: distribution\n      feature: score\n      targets: {'1': {min: 0.0}}\n")


def _numeric(parts: list[np.ndarray]) -> NumericSketch:
    out = NumericSketch()
    for part in parts:
        piece = NumericSketch()
        piece.add(part)
        out = out.merge(piece)
    return out


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(1, 599), max_size=6), spread=st.sampled_from([30, 80, 5000]), cap=st.sampled_from([40, 100]),
       odd=st.sampled_from(["none", "floats", "negative", "huge"]), at=st.integers(0, 599))
def test_numeric_sketch_of_any_split_equals_the_whole(cuts: list[int], spread: int, cap: int, odd: str, at: int) -> None:
    """Whole numbers go to the dense counts; a float, a negative or a huge number anywhere turns them sparse."""
    rng = np.random.default_rng(spread)
    values = rng.integers(0, spread, 600)
    if odd != "none":
        values = values.astype(np.float64) if odd == "floats" else values
        values[at] = {"floats": 0.5, "negative": -3, "huge": 1 << 40}[odd]
    if odd == "floats":
        values = np.concatenate([values, [np.nan, np.inf]])
    bounds = sorted({0, *cuts, len(values)})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sketches, "EXACT_CAP", cap)
        whole = _numeric([values]).pairs()
        split = _numeric([values[a:b] for a, b in zip(bounds, bounds[1:])]).pairs()
        backwards = _numeric([values[a:b] for a, b in reversed(list(zip(bounds, bounds[1:])))]).pairs()
    finite = values[np.isfinite(values)]
    assert whole[2] == split[2] == backwards[2] == (len(np.unique(finite)) <= cap)
    assert np.array_equal(whole[0], split[0]) and np.array_equal(whole[1], split[1])
    assert np.array_equal(whole[0], backwards[0]) and np.array_equal(whole[1], backwards[1])
    assert whole[1].sum() == 600  # NaN and infinity are no values
    if whole[2]:
        assert np.array_equal(whole[0], np.unique(finite)) and np.array_equal(whole[1], np.unique(finite, return_counts=True)[1])


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(1, 499), max_size=6))
def test_label_sketch_past_its_cap_keeps_exact_counts_of_the_same_labels(cuts: list[int]) -> None:
    rng = np.random.default_rng(1)
    labels = [f"v{int(x)}" for x in rng.zipf(1.5, 500)] + ["", "caf\u00e9", "\ud800"]
    bounds = sorted({0, *cuts, len(labels)})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sketches, "LABEL_CAP", 20)
        whole, split = CategoricalSketch(), CategoricalSketch()
        whole.add(labels)
        for a, b in zip(bounds, bounds[1:]):
            part = CategoricalSketch()
            part.add(labels[a:b])
            split = split.merge(part)
    assert (whole.counts, whole.other) == (split.counts, split.other)
    assert all(whole.counts[k] == labels.count(k) for k in whole.counts)
    assert sum(whole.counts.values()) + whole.other == len(labels)


def test_histogram_bins_hold_their_values_closely_and_an_edge_is_its_own_bin() -> None:
    values = np.concatenate([np.arange(0, 3000), np.geomspace(1e-6, 1e12, 5000), -np.geomspace(0.5, 1e9, 500), [0.25]])
    edges = bin_edges(values)
    assert np.array_equal(bin_edges(edges), edges)
    assert np.array_equal(edges[:2048], np.arange(2048))  # whole numbers below 2,048: their own bin
    assert np.all(np.abs(values - edges) <= 0.0055 * np.abs(values)) and np.all(np.abs(edges) <= np.abs(values))


def test_a_run_top_k_keeps_the_most_frequent_and_counts_the_rest() -> None:
    sketch = CategoricalSketch()
    sketch.add([f"l{i}" for i in range(150) for _ in range(i + 1)])
    model = sketch.to_model("x")
    assert model.basis == "top_k" and len(model.values) == sketches.TOP_K and model.values[0] == "l149"
    assert model.other == sum(range(1, 51)) and model.count == sum(range(1, 151))


def _batches(cuts: list[int]) -> list[BatchContext]:
    contract = parse_contract(CONTRACT, "c.yaml")
    rng = np.random.default_rng(3)
    items = [{"prompt": "word " * int(rng.integers(0, 40)), "response": ["{}", "```x```", "plain", None][i % 4],
              "score": [1, 2.5, None][i % 3]} for i in range(200)]
    table = pa.Table.from_pylist(items)
    bounds = sorted({0, *cuts, 200})
    return [BatchContext(table.slice(a, b - a), contract.dataset, get_tokenizer("whitespace"), file="f.jsonl",
                         file_index=0, lines=np.arange(a + 1, b + 1), unit="line", split="all", row_offset=a)
            for a, b in zip(bounds, bounds[1:])]


@settings(max_examples=15, deadline=None)
@given(cuts=st.lists(st.integers(1, 199), max_size=5), at=st.integers(0, 6))
def test_the_run_sketches_of_a_split_equal_the_whole(cuts: list[int], at: int) -> None:
    collector = StatsCollector(("output_format", "score", "chars.prompt"))
    batches = _batches(cuts)
    at = min(at, len(batches))
    whole, left, right = collector.create_state(), collector.create_state(), collector.create_state()
    for batch in batches:
        whole = collector.add_batch(whole, batch)
    for batch in batches[:at]:
        left = collector.add_batch(left, batch)
    for batch in batches[at:]:
        right = collector.add_batch(right, batch)
    merged = collector.merge_states(left, right)
    assert collector.sketches(merged) == collector.sketches(whole)
    names = {s.name: s for s in collector.sketches(whole)}
    assert set(names) == {"chars.prompt", "chars.response", "tokens.prompt", "tokens.response", "output_format", "score"}
    assert names["score"].kind == "numeric" and names["score"].values == [1.0, 2.5]
    assert names["output_format"].kind == "categorical" and names["output_format"].count == 200


def test_a_feature_numbers_in_one_part_and_text_in_another_is_refused() -> None:
    a, b = NumericSketch(), CategoricalSketch()
    with pytest.raises(ValueError, match="numbers in some rows and text in others"):
        merge_sketches({"x": a}, {"x": b})


def test_every_run_carries_sketches_and_two_files_equal_their_concatenation(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    lines = [json.dumps({"prompt": "a " * int(rng.integers(1, 60)), "response": "b" * int(rng.integers(0, 300)),
                         "score": int(rng.integers(0, 5))}) + "\n" for _ in range(400)]
    (tmp_path / "a.jsonl").write_text("".join(lines[:150]))
    (tmp_path / "b.jsonl").write_text("".join(lines[150:]))
    (tmp_path / "ab.jsonl").write_text("".join(lines))
    contract = parse_contract(CONTRACT, str(tmp_path / "c.yaml"))
    split = validate(contract, [str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")])
    whole = validate(contract, [str(tmp_path / "ab.jsonl")])
    assert split.sketches == whole.sketches and len(whole.sketches) == 6
    response = next(s for s in whole.sketches if s.name == "chars.response")
    expected = np.unique([len(json.loads(x)["response"]) for x in lines], return_counts=True)
    assert response.values == expected[0].tolist() and response.counts == expected[1].tolist()
