from __future__ import annotations

import gzip
import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import contract_text
from traingate.contracts import parse_contract
from traingate.data.tokenizers import get_tokenizer
from traingate.engine.runner import validate
from traingate.engine.stats import QUANTILE_SAMPLE, Accumulator
from traingate.errors import ContractError
from traingate.results import RunResult
from traingate.validators.common.samples import row_keys


def test_whitespace_tokenizer_counts_words() -> None:
    counts = get_tokenizer("whitespace").count(pa.array(["one two  three", "", None, " x\ny "]))
    assert counts.tolist() == [3, 0, 0, 2]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("ab \t\n\r\x0b\x0cé€\u00a0\u3000"))))),
       st.integers(0, 3))
def test_whitespace_counts_equal_python_split_on_any_slice(texts: list[str | None], skip: int) -> None:
    """Counted on raw bytes, including arrays that are slices of a larger buffer and empty or null values."""
    array = pa.array(["x y", *texts], pa.string()).slice(min(skip, len(texts)))
    expected = [len(t.encode().split()) if t is not None else 0 for t in array.to_pylist()]
    assert get_tokenizer("whitespace").count(array).tolist() == expected


def test_cl100k_counts_offline_with_the_packaged_encoding() -> None:
    pytest.importorskip("tiktoken")
    tokenizer = get_tokenizer("cl100k_base")
    assert tokenizer.name == "cl100k_base"
    # Reference counts of cl100k_base: "hello world" is 2 tokens, "tokenization" is 2 ("token", "ization").
    assert tokenizer.count(pa.array(["hello world", "tokenization", None])).tolist() == [2, 2, 0]


def test_unknown_tokenizer_names_the_choices() -> None:
    with pytest.raises(ContractError, match="cl100k_base"):
        get_tokenizer("o999k")


def exact_quantiles(values: np.ndarray) -> dict[str, float]:
    return {f"p{round(q * 100)}": float(np.quantile(values, q, method="inverted_cdf")) for q in (0.5, 0.9, 0.99)}


def read_text(path: Path) -> str:
    return gzip.decompress(path.read_bytes()).decode() if path.suffix == ".gz" else path.read_text(encoding="utf-8")


def accumulate(values: np.ndarray, first_row: int = 0) -> Accumulator:
    acc = Accumulator()
    acc.add(values, row_keys(np.arange(first_row, first_row + len(values), dtype=np.uint64)))
    return acc


def test_histogram_quantiles_are_exact_for_small_values_and_merge_exactly() -> None:
    values = np.arange(1, 51)  # 1..50
    whole = accumulate(values)
    merged = accumulate(values[17:], 17).merge(accumulate(values[:17]))
    assert merged.finish("x") == whole.finish("x")
    dist = whole.finish("x")
    assert (dist.count, dist.min, dist.max, dist.mean) == (50, 1, 50, 25.5)
    assert dist.quantiles == {"p50": 25.0, "p90": 45.0, "p99": 50.0} and dist.quantile_basis == "exact"


def test_quantiles_of_large_values_are_exact_not_bin_edges() -> None:
    dist = accumulate(np.array([10_007] * 98 + [12_345, 1_000_000])).finish("x")  # bins were 4.4% wide up here
    assert dist.quantiles == {"p50": 10_007, "p90": 10_007, "p99": 12_345}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 10**4), min_size=1, max_size=300), st.floats(0.01, 3))
def test_quantiles_equal_numpy_and_the_histogram_encloses_every_value(raw: list[int], spread: float) -> None:
    values = (np.array(raw) ** spread).astype(np.int64)
    dist = accumulate(values).finish("x")
    assert dist.quantiles == exact_quantiles(values)
    edges, counts = dist.histogram.edges, dist.histogram.counts
    assert len(edges) == len(counts) + 1 and edges[0] <= values.min() and edges[-1] >= values.max()
    assert np.histogram(values, bins=edges)[0].tolist() == counts  # numpy's bins: [a, b), the last [a, b]


def test_beyond_the_sample_small_values_keep_exact_quantiles() -> None:
    values = np.random.default_rng(3).poisson(20, QUANTILE_SAMPLE * 2)  # all below 64, where bins are single values
    dist = accumulate(values).finish("x")
    assert dist.quantile_basis == "sample" and dist.quantiles == exact_quantiles(values)


def test_beyond_the_sample_quantiles_lie_in_the_exact_bin_placed_by_the_rows_of_smallest_hash() -> None:
    rng = np.random.default_rng(5)
    n = QUANTILE_SAMPLE * 3
    values = rng.lognormal(6, 1.2, n).astype(np.int64)
    whole = accumulate(values).finish("x")
    cut = int(rng.integers(1, n))
    assert accumulate(values[cut:], cut).merge(accumulate(values[:cut])).finish("x") == whole
    assert (whole.quantile_basis, whole.quantile_sample, whole.count) == ("sample", QUANTILE_SAMPLE, n)
    sampled = values[np.argsort(row_keys(np.arange(n, dtype=np.uint64)))[:QUANTILE_SAMPLE]]
    for q in (0.5, 0.9, 0.99):
        exact = float(np.quantile(values, q, method="inverted_cdf"))
        octave = math.floor(16 * math.log2(exact / 64))  # the 1/16-octave bin holding the exact quantile
        low, high = 64 * 2 ** (octave / 16), 64 * 2 ** ((octave + 1) / 16)
        in_bin = np.sort(sampled[(sampled >= low) & (sampled < high)])
        share = (q * n - (values < low).sum()) / ((values >= low) & (values < high)).sum()
        expected = in_bin[max(math.ceil(share * len(in_bin)), 1) - 1]  # the sampled value at that share of the bin
        assert whole.quantiles[f"p{round(q * 100)}"] == expected and low <= expected < high


def test_run_reports_distributions_and_tokenizer(run: Callable[..., RunResult]) -> None:
    rows = [{"messages": [{"role": "user", "content": "a b"}, {"role": "assistant", "content": "c d e"}]},
            {"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"},
                          {"role": "user", "content": "z"}, {"role": "assistant", "content": "w w"}]}]
    result = run(contract_text("chat", "  quantity:\n    - {type: min_rows, min: 1}\n"), rows)
    dists = {d.name: d for d in result.distributions}
    assert dists["turns"].sum == 6 and dists["tokens.messages"].sum == 10 and dists["chars.messages"].max == 8
    assert result.dataset.tokenizer == "whitespace"


@pytest.mark.integration
@pytest.mark.slow
def test_real_lengths_have_numpys_quantiles_inside_the_histogram(shared: Path, tmp_path: Path) -> None:
    """gsm8k: 10,111 questions and answers, whose bin-edge quantiles were up to 3.6% high and whose last
    edge lay below the maximum; lengths recomputed here with len() and str.split()."""
    paths = [shared / "gsm8k" / "test.jsonl", shared / "gsm8k" / "test_socratic.jsonl", shared / "gsm8k" / "train.jsonl.gz"]
    contract = parse_contract(contract_text("sft", "  quantity:\n    - {type: min_rows, min: 1}\n",
                                            "  fields: {prompt: question, response: answer}\n"), str(tmp_path / "c.yaml"))
    dists = {d.name: d for d in validate(contract, [str(p) for p in paths]).distributions}
    rows = [json.loads(line) for p in paths for line in read_text(p).splitlines() if line.strip()]
    for logical, column in (("prompt", "question"), ("response", "answer")):
        for unit, measure in (("chars", len), ("tokens", lambda t: len(t.encode().split()))):
            values = np.array([measure(r[column]) for r in rows])
            dist = dists[f"{unit}.{logical}"]
            assert (dist.count, dist.quantile_basis, dist.max) == (10_111, "exact", values.max())
            assert dist.quantiles == exact_quantiles(values)
            assert dist.histogram.edges[-1] >= values.max() and sum(dist.histogram.counts) == len(values)


@pytest.mark.parametrize("pieces", [1, 2, 7, 20])
def test_a_sample_merged_from_any_number_of_pieces_keeps_the_rows_of_smallest_hash(pieces: int) -> None:
    rng = np.random.default_rng(pieces)
    n = QUANTILE_SAMPLE * 4 + 17
    values = rng.integers(0, 10_000, n)
    cuts = [0, *sorted(rng.choice(np.arange(1, n), pieces - 1, replace=False).tolist()), n]
    merged = Accumulator()
    for start, end in reversed(list(zip(cuts, cuts[1:]))):  # in any order, as shards finish
        merged = merged.merge(accumulate(values[start:end], start))
    smallest = np.argsort(row_keys(np.arange(n, dtype=np.uint64)))[:QUANTILE_SAMPLE]
    assert sorted(merged.sample.keys.tolist()) == sorted(row_keys(smallest.astype(np.uint64)).tolist())
    assert sorted(merged.sample.values.tolist()) == sorted(values[smallest].astype(float).tolist())
