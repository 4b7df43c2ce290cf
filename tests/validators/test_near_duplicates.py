from __future__ import annotations

import random
from collections.abc import Callable

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import contract_text
from traingate.results import RunResult
from traingate.validators.common.lsh import optimal_bands
from traingate.validators.common.shingles import _finish, _window_hashes, shingle_sets, split_words, token_hashes

VOCAB = [f"w{i}" for i in range(5000)]


def docs() -> tuple[list[dict[str, str]], int]:
    """40 unrelated documents, then planted copies: 10 with one word changed (Jaccard of word 3-grams
    ~0.90), 5 with the first 40% of the text rewritten (~0.45): only the first 10 are near-duplicates."""
    rng = random.Random(3)
    base = [[rng.choice(VOCAB) for _ in range(60)] for _ in range(40)]
    rows = [{"text": " ".join(d)} for d in base]
    for i in range(10):
        copy = list(base[i])
        copy[30] = "changed"
        rows.append({"text": " ".join(copy).upper() if i % 2 else " ".join(copy)})  # case is normalised
    for i in range(10, 15):
        copy = [rng.choice(VOCAB) for _ in range(24)] + base[i][24:]
        rows.append({"text": " ".join(copy)})
    return rows, 10


def near(run: Callable[..., RunResult], rows: list[dict[str, str]], options: str = "") -> dict[str, object]:
    (check,) = run(contract_text("pretraining", f"  uniqueness:\n    - type: near_duplicates\n{options}"), rows).checks
    return {"findings": check.findings, **check.details}


def test_planted_edits_are_found_and_rewrites_are_not(run: Callable[..., RunResult]) -> None:
    rows, planted = docs()
    d = near(run, rows)
    assert d["findings"] == planted and d["clusters"] == planted and d["cluster_sizes"] == {"2": planted}
    assert (d["bands"], d["rows_per_band"]) == (9, 13) and d["bytes_per_row"] == 80
    first = d["largest_clusters"][0]["members"]
    assert [m["line"] for m in first] == [1, 41]
    assert first[1]["span"] is not None and first[1]["excerpt"].split(" ")[30] == "changed"


def test_verification_uses_exact_jaccard(run: Callable[..., RunResult]) -> None:
    rows, planted = docs()
    # At 0.5 the bands (25 x 5) also make some rewrites (Jaccard 34/82 = 0.41) candidates; the exact
    # Jaccard drops them again, and keeps the one-word edits (55/61 = 0.90).
    d = near(run, rows, "      threshold: 0.5\n      verify: true\n")
    assert d["verified"] is True and d["findings"] == planted
    d = near(run, rows, "      threshold: 0.95\n      verify: true\n")
    assert d["findings"] == 0  # ~0.90 is below 0.95 once checked exactly


def test_char_shingles_and_empty_rows(run: Callable[..., RunResult]) -> None:
    rows = [{"text": "The quick brown fox jumps over the lazy dog"}, {"text": "The quick brown fox jumped over the lazy dog"},
            {"text": ""}, {"text": ""}, {"text": "Completely unrelated sentence about tax law"}]
    d = near(run, rows, "      shingle: char\n      size: 4\n      threshold: 0.7\n")
    assert d["findings"] == 1 and d["cluster_sizes"] == {"2": 1}  # empty rows are not duplicates of each other


def test_band_choice_follows_the_threshold() -> None:
    assert optimal_bands(0.8, 128) == (9, 13)
    assert optimal_bands(0.5, 128) == (25, 5)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab c\né\u00a0\x0b")), max_size=20), max_size=12), st.integers(1, 5))
def test_shingles_of_a_batch_equal_shingles_of_each_value(texts: list[str], n: int) -> None:
    """Windows never cross values; a value shorter than n gives one shingle of all its words."""
    hashes, offsets = shingle_sets(pa.array(texts, pa.string()), "word", n)
    for k, text in enumerate(texts):
        tokens, _ = token_hashes(pa.array([text], pa.string()), "word")
        words = len(text.split())
        expected = [] if not words else [_finish(_window_hashes(tokens[i: i + min(n, words)], min(n, words)))[0]
                                         for i in range(max(1, words - n + 1))]
        assert hashes[offsets[k]: offsets[k + 1]].tolist() == [int(h) for h in expected]


def test_words_split_the_same_on_every_call_and_on_unicode_spaces() -> None:
    texts = ["", "c\n\n", "b b\nc\n\nbacb \n  c", " a\n\n\n\ncab\n b\n", "ca b\n", "b ", ""]
    assert len({str(split_words(pa.array(texts, pa.large_string())).to_pylist()) for _ in range(100)}) == 1
    words = split_words(pa.array(["é\u00a0b\u3000c\u2028d\te ", "x"], pa.large_string())).to_pylist()
    assert [[w for w in row if w] for row in words] == [["é", "b", "c", "d", "e"], ["x"]]
    joined, offsets = token_hashes(pa.array(["a \x1f b \x1e c", "a b c", "a\x1fb"], pa.string()), "word")
    assert joined[:3].tolist() == joined[3:6].tolist() and offsets.tolist() == [0, 3, 6, 7]  # separators are no words
