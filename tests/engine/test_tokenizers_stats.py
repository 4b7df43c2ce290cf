from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import contract_text
from traingate.engine.tokenizers import get_tokenizer
from traingate.errors import ContractError
from traingate.results import RunResult
from traingate.validators.stats import Accumulator


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


def test_histogram_quantiles_are_exact_for_small_values_and_merge_exactly() -> None:
    values = np.arange(1, 51)  # 1..50
    whole = Accumulator()
    whole.add(values)
    left, right = Accumulator(), Accumulator()
    left.add(values[:17])
    right.add(values[17:])
    merged = right.merge(left)
    assert merged.finish("x") == whole.finish("x")
    dist = whole.finish("x")
    assert (dist.count, dist.min, dist.max, dist.mean) == (50, 1, 50, 25.5)
    assert dist.quantiles == {"p50": 25.0, "p90": 45.0, "p99": 50.0}


def test_large_values_fall_in_bins_of_at_most_five_percent() -> None:
    acc = Accumulator()
    acc.add(np.array([10_000] * 99 + [1_000_000]))
    assert 10_000 <= acc.quantile(0.5) <= 10_000 * 2 ** (1 / 16)
    assert acc.quantile(0.999) == 1_000_000


def test_run_reports_distributions_and_tokenizer(run: Callable[..., RunResult]) -> None:
    rows = [{"messages": [{"role": "user", "content": "a b"}, {"role": "assistant", "content": "c d e"}]},
            {"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"},
                          {"role": "user", "content": "z"}, {"role": "assistant", "content": "w w"}]}]
    result = run(contract_text("chat", "  quantity:\n    - {type: min_rows, min: 1}\n"), rows)
    dists = {d.name: d for d in result.distributions}
    assert dists["turns"].sum == 6 and dists["tokens.messages"].sum == 10 and dists["chars.messages"].max == 8
    assert result.dataset.tokenizer == "whitespace"
