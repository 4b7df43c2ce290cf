from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import contract_text
from traingate.results import RunResult
from traingate.validators.common.normalize import normalize

SFT = "  fields: {prompt: instruction, response: output}\n"


def exact(run: Callable[..., RunResult], rows: list[dict[str, object]], options: str = "", kind: str = "sft",
          fields: str = SFT) -> dict[str, object]:
    result = run(contract_text(kind, f"  uniqueness:\n    - type: exact_duplicates\n{options}", fields), rows)
    (check,) = result.checks
    return {"findings": check.findings, "status": check.status, **check.details}


ROWS = [
    {"instruction": "Add 2 and 2.", "output": "4"},
    {"instruction": "add 2 and 2!", "output": "4"},        # same after case + punctuation
    {"instruction": "Add  2 and 2.", "output": "4"},       # same after whitespace
    {"instruction": "Ａｄｄ 2 and 2.", "output": "4"},       # fullwidth letters: same after NFKC
    {"instruction": "Add 2 and 2.", "output": "four"},     # same prompt, different response
    {"instruction": "Name a colour.", "output": "Red."},
    {"instruction": "Name a colour.", "output": "Red."},   # plain duplicate
]


def test_default_normalisation_is_unicode_and_whitespace(run: Callable[..., RunResult]) -> None:
    d = exact(run, ROWS)
    # rows 1, 3, 4 collapse (NFKC + whitespace); rows 6 and 7 are equal; row 2 differs by case and "!".
    assert d["findings"] == 3 and d["clusters"] == 2 and d["cluster_sizes"] == {"2": 1, "3": 1}
    assert d["status"] == "failed"
    conflicts = d["same_prompt_different_content"]
    assert conflicts["prompts"] == 1 and conflicts["rows"] == 4  # "add 2 and 2." with "4" and "four"
    largest = d["largest_clusters"][0]
    assert largest["size"] == 3 and [m["line"] for m in largest["members"]] == [1, 3, 4]
    assert largest["members"][0]["excerpt"] == "Add 2 and 2. │ 4"
    assert largest["members"][1]["span"] is not None  # the extra space is marked


def test_every_normalisation_and_prompt_only(run: Callable[..., RunResult]) -> None:
    d = exact(run, ROWS, "      normalize: [unicode, case, punctuation, whitespace]\n")
    assert d["findings"] == 4 and d["cluster_sizes"] == {"2": 1, "4": 1}
    d = exact(run, ROWS, "      on: [prompt]\n      normalize: []\n")
    assert d["findings"] == 2 and d["cluster_sizes"] == {"2": 2}  # rows 1+5 and 6+7; nothing normalised
    assert "same_prompt_different_content" not in d


def test_threshold_and_chat_messages(run: Callable[..., RunResult]) -> None:
    chat = [{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}] * 3 + [
        {"messages": [{"role": "assistant", "content": "hi"}, {"role": "user", "content": "hello"}]}]
    d = exact(run, chat, "      max_rate: 0.5\n", kind="chat", fields="")
    assert d["findings"] == 2 and d["status"] == "passed" and d["fields"] == ["messages"]  # roles are compared too


def test_on_key_is_not_read_as_a_boolean(run: Callable[..., RunResult]) -> None:
    assert exact(run, ROWS, "      on: [response]\n")["fields"] == ["response"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab \t\n\r\x0b\x0c\u00a0")), max_size=12), max_size=8))
def test_whitespace_normalisation_collapses_every_run(texts: list[str]) -> None:
    """The pattern that leaves single spaces alone gives what replacing every \\s+ run gives."""
    values = pa.array(texts, pa.string())
    plain = pc.utf8_trim_whitespace(pc.replace_substring_regex(values, r"\s+", " "))
    assert normalize(values, ["whitespace"]).to_pylist() == plain.to_pylist()


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from("aZ1 .\ufb01\uff23\u00e9e\u0301\u2460\u3000")),
                                st.text(max_size=5)), max_size=12), skip=st.integers(0, 3))
def test_nfkc_leaves_ascii_alone_and_equals_pyarrow_nfkc(texts: list[str | None], skip: int) -> None:
    from traingate.validators.common.normalize import nfkc

    array = pa.array(texts, pa.string()).slice(min(skip, len(texts)))
    assert nfkc(array).equals(pc.utf8_normalize(array, "NFKC"))


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.one_of(st.none(), st.text(max_size=20)), max_size=12), skip=st.integers(0, 3),
       large=st.booleans())
def test_row_hashes_read_from_arrow_buffers_are_the_xxh64_of_each_text(texts: list[str | None], skip: int,
                                                                        large: bool) -> None:
    import xxhash

    from traingate.validators.common.normalize import hash_texts

    array = pa.array(texts, pa.large_string() if large else pa.string()).slice(min(skip, len(texts)))
    expected = [xxhash.xxh64_intdigest((t or "").encode("utf-8")) for t in array.to_pylist()]
    assert hash_texts(array).tolist() == expected


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(st.integers(0, 12), max_size=40), seed=st.integers(0, 3))
def test_clusters_found_among_the_repeated_rows_alone_are_the_same(keys: list[int], seed: int) -> None:
    from traingate.validators.common.grouping import clusters

    key_array = np.array(keys, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)  # spread over the 64 bits
    ids = np.random.default_rng(seed).permutation(len(keys)).astype(np.uint64)
    everything, picked = clusters(key_array, ids), clusters(key_array, ids, rare=True)
    assert [g.tolist() for g in picked] == [g.tolist() for g in everything]
