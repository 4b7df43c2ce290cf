"""The shingler (pyarrow split and dictionary, or the compiled pass) against a plain-Python reference of the
same definition: words between the separators, xxh64 of each word's UTF-8 bytes, rolling n-gram hashes
within a value, finished; and the one-pass normalisation against the two passes it replaces."""

from __future__ import annotations

import subprocess
import sys
import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from traingate.validators.common import shingles
from traingate.validators.common.lsh import signatures
from traingate.validators.common.normalize import nfkc, normalize
from traingate.validators.common.options import FULL_NORMALISATION
from traingate.validators.common.shingles import ngram_hashes, token_hashes

MASK = (1 << 64) - 1
SEPARATORS = set("\t\n\x0b\x0c\r \x85") | {chr(c) for c in range(0x3001)
                                           if unicodedata.category(chr(c)) in ("Zs", "Zl", "Zp")}
# Letters, every kind of separator, field/turn separators alone and inside words, a NUL, zero-width and
# Mongolian vowel separators (no separators), multi-byte letters, and words of 32 bytes and more.
PIECES = ["a", "b", "é", "語", "😀", " ", "  ", "\t", "\n", "\x0b", "\x0c", "\r", "\x85", "\u00a0", "\u1680",
          "\u2000", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\u200b", "\u180e", "\x1c",
          "\x1f", " \x1f ", " \x1e ", "\x00", "w" * 33, "é" * 20, "x" * 64 + "é", "A.B", "ǅ"]
texts = st.lists(st.one_of(st.none(), st.lists(st.sampled_from(PIECES), max_size=14).map("".join)), max_size=9)


def reference_words(text: str) -> list[bytes]:
    words, word = [], ""
    for ch in text + " ":
        if ch in SEPARATORS:
            if word and not (len(word) == 1 and "\x1c" <= word <= "\x1f"):
                words.append(word.encode())
            word = ""
        else:
            word += ch
    return words


def reference_shingles(tokens: list[int], n: int) -> list[int]:
    size = min(n, len(tokens))
    out = []
    for i in range(len(tokens) - size + 1 if tokens else 0):
        acc = 0
        for t in tokens[i: i + size]:
            acc = (acc * 0x9E3779B97F4A7C15 + t) & MASK
        acc ^= acc >> 33
        acc = (acc * 0xFF51AFD7ED558CCD) & MASK
        out.append(acc ^ (acc >> 33))
    return out


def check(values: pa.Array, unit: str, n: int, compiled: bool) -> None:
    hashes, offsets = ngram_hashes(*token_hashes(values, unit, compiled), n)
    assert offsets[0] == 0 and len(offsets) == len(values) + 1
    for k, text in enumerate(values.to_pylist()):
        text = text or ""
        tokens = ([xxhash.xxh64_intdigest(w) for w in reference_words(text)] if unit == "word"
                  else [xxhash.xxh64_intdigest(bytes([b])) for b in text.encode()])
        assert hashes[offsets[k]: offsets[k + 1]].tolist() == reference_shingles(tokens, n), (text, k)


@settings(max_examples=150, deadline=None)
@given(texts, st.integers(1, 5), st.integers(0, 3), st.booleans())
def test_word_shingles_equal_the_reference(values: list[str | None], n: int, skip: int, compiled: bool) -> None:
    """Any batch, sliced at any offset, with nulls: both word hashers give the reference's shingles."""
    check(pa.array(values, pa.string()).slice(min(skip, len(values))), "word", n, compiled)


@settings(max_examples=100, deadline=None)
@given(texts, st.integers(1, 5), st.integers(0, 3))
def test_char_shingles_equal_the_reference(values: list[str | None], n: int, skip: int) -> None:
    check(pa.array(values, pa.large_string()).slice(min(skip, len(values))), "char", n, False)


def test_the_two_word_hashers_agree_on_every_code_point() -> None:
    """Each code point between two words, in an ASCII batch and in others: the same words, hashes, offsets."""
    points = [chr(c) for c in range(0x3100) if not 0xD800 <= c < 0xE000] + ["\U0001F600", "\U000E0020"]
    for batch in ([f"x{p}y" for p in points], [f"x{p}y" for p in points if p < "\x80"]):
        values = pa.array(batch, pa.string())
        split, compiled = token_hashes(values, "word", False), token_hashes(values, "word", True)
        assert np.array_equal(split[0], compiled[0]) and np.array_equal(split[1], compiled[1])
    assert split[1][-1] == sum(2 if p in SEPARATORS else 1 for p in points if p < "\x80")


def test_the_compiled_pass_takes_over_after_enough_text(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    from traingate.validators.common import word_kernel

    calls, original = [], word_kernel.word_hashes
    monkeypatch.setattr(word_kernel, "word_hashes", lambda *a: calls.append(1) or original(*a))
    monkeypatch.setattr(shingles, "COMPILED_AFTER", 20)
    monkeypatch.setattr(shingles, "_TEXT_SEEN", [0])
    values = pa.array(["one two three four", "five six"], pa.string())
    first, second = token_hashes(values, "word"), token_hashes(values, "word")
    assert calls == [1]  # the first batch was cut by pyarrow, the second by the compiled pass
    assert all(np.array_equal(a, b) for a, b in zip(first, second))


text_with_punctuation = st.lists(st.sampled_from(list("aZé .,;!?-—'\"()$+<€™\t\n\x0b\x0c\r\u00a0\u3000\x85\x1f_")
                                                 + [" \x1f ", "...", "  ", " - "]), max_size=30).map("".join)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), text_with_punctuation), max_size=6))
def test_one_pass_normalisation_equals_the_two_passes(values: list[str | None]) -> None:
    array = pa.array(values, pa.string())
    two = pc.utf8_lower(nfkc(array.fill_null("")))
    two = pc.replace_substring_regex(two, r"[\p{P}\p{S}]+", " ")
    two = pc.utf8_trim_whitespace(pc.replace_substring_regex(two, r"\s\s+|[^\S ]", " "))
    assert normalize(array, FULL_NORMALISATION).to_pylist() == two.to_pylist()
    assert normalize(array, ["punctuation"]).to_pylist() == pc.replace_substring_regex(
        array.fill_null(""), r"[\p{P}\p{S}]+", " ").to_pylist()


def test_signatures_are_rensas_rows() -> None:
    from rensa import RMinHash

    rng = np.random.default_rng(5)
    hashes = rng.integers(0, 1 << 63, 500, dtype=np.int64).astype(np.uint64)
    offsets = np.array([0, 0, 1, 120, 499, 500])
    matrix = RMinHash.digest_matrix_from_flat_token_hashes(hashes, offsets.astype(np.uint64), 64, 1)
    assert np.array_equal(signatures(hashes, offsets, 64), np.array(matrix.to_rows(), dtype=np.uint32))
    assert signatures(hashes[:0], np.array([0]), 64).shape == (0, 64)


def test_shingling_and_signatures_do_not_load_pandas() -> None:
    code = """
import io, sys
import pyarrow.json as pj
from traingate.validators.common.lsh import signatures
from traingate.validators.common.normalize import normalize, per_row_text
from traingate.validators.common.options import FULL_NORMALISATION
from traingate.validators.common.shingles import shingle_sets
column = pj.read_json(io.BytesIO(b'{"t": "A b, c  d"}\\n{"t": null}\\n{"t": "\\\\u00e9 x"}\\n')).column("t").chunk(0)
for unit in ("word", "char"):
    signatures(*shingle_sets(normalize(column, FULL_NORMALISATION), unit, 3), 32)
assert "pandas" not in sys.modules, "pandas was loaded"
"""
    subprocess.run([sys.executable, "-c", code], check=True)
