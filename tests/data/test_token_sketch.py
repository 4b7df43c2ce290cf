"""The token sketch that `embed_rows` reads from its token windows equals the MinHash computed directly from
the text's token ids, whatever the text (empty, unknown tokens only, unicode, longer than a piece or a window,
embedded with other texts), and its share of agreeing values estimates the Jaccard of token sets."""

from __future__ import annotations

import random

import numpy as np
import pytest

from traingate.data.embedding_models import load
from traingate.data.embeddings import PIECE_CHARS, WINDOW, embed, embed_rows
from traingate.data.token_sketch import EMPTY, SKETCH, ranks, shared

pytest.importorskip("tokenizers")

SENTENCE = "The committee met on a rainy Tuesday to review the harbour budget and agreed to repair the pier. "


def mixed(token: int, key: int) -> int:
    """The keyed 16-bit bijection, with Python integers."""
    x = token
    for step, shift in ((0, 7), (1, 8)):
        x = (x + key * 0x9E37 + step * 0x7F4B + 0x3C6F) % 65536
        x = (x * (((key * 0x2C1B + step * 0x6A09) * 2) % 65536 | 1)) % 65536
        x ^= x >> shift
    return x


def direct(text: str) -> tuple[np.ndarray, int]:
    """The sketch and token count from the whole text's token ids, [UNK] left out, one permutation at a time."""
    model = load("minilm-static")
    ids = [i for i in model.tokenizer.encode(text, add_special_tokens=False).ids if i != model.dropped]
    return np.array([min((mixed(i, key) for i in ids), default=int(EMPTY)) for key in range(SKETCH)]), len(ids)


def test_each_permutation_is_a_bijection_and_padding_ranks_last() -> None:
    table = ranks(100)
    assert table.shape == (SKETCH, 101) and (table[:, 100] == EMPTY).all()
    assert [int(table[k, t]) for k in (0, 17, 63) for t in (0, 5, 99)] == [mixed(t, k) for k in (0, 17, 63)
                                                                          for t in (0, 5, 99)]
    assert all(len(set(row.tolist())) == 100 for row in table[:, :100])
    with pytest.raises(ValueError):
        ranks(70_000)


ADVERSARIAL = [
    "",
    "   ",
    "\u2603 \U0001F600 \u0378",  # unknown tokens only: no token counted
    "Ça coûte 5 € — naïve café, 東京, Ωmega\u0301",
    " ".join(f"{SENTENCE}Item {i}." for i in range(400)),  # ~10,000 tokens: many pieces and windows
    "x" * (PIECE_CHARS * 2 + 7),  # no space: cut at the piece limit
    " ".join(["word"] * (WINDOW - 1)) + " last",  # one window, full to the last token
]


def test_the_sketch_equals_the_direct_minhash_on_adversarial_texts() -> None:
    out = embed_rows(ADVERSARIAL)
    for k, text in enumerate(ADVERSARIAL):
        sketch, count = direct(text)
        if k != 5:  # 8,199 x's are one over-long word ([UNK]); cut at the piece limit, the last 7 are a word
            assert out.tokens[k] == count, text[:40]
            assert np.array_equal(out.sketches[k], sketch), text[:40]
    assert (out.sketches[:3] == EMPTY).all() and out.tokens[:3].tolist() == [0, 0, 0]
    for k, text in enumerate(ADVERSARIAL):  # a text's sketch does not depend on the texts embedded with it
        assert np.array_equal(embed_rows([text]).sketches[0], out.sketches[k])
    assert np.array_equal(out.vectors, embed(ADVERSARIAL))


def test_agreeing_values_estimate_the_jaccard_of_token_sets() -> None:
    model = load("minilm-static")
    words = sorted(w for w in model.tokenizer.get_vocab() if w.isascii() and w.isalpha() and len(w) >= 4)
    rng = random.Random(11)
    errors = []
    for overlap in (0.0, 0.2, 0.5, 0.8, 1.0):
        for _ in range(8):
            common = rng.sample(words, 200)
            a = common[: int(200 * overlap)] + rng.sample(words, 200 - int(200 * overlap))
            b = common[: int(200 * overlap)] + rng.sample(words, 200 - int(200 * overlap))
            sets = [set(model.tokenizer.encode(" ".join(t), add_special_tokens=False).ids) for t in (a, b)]
            exact = len(sets[0] & sets[1]) / len(sets[0] | sets[1])
            sketches = embed_rows([" ".join(a), " ".join(b)]).sketches
            errors.append(float(shared(sketches[:1], sketches[1:])[0]) - exact)
    assert abs(float(np.mean(errors))) < 0.03 and float(np.abs(errors).max()) < 0.25, errors


def _pieces_by_slicing(text: str, limit: int) -> list[str]:
    """The earlier `pieces`, which cut the rest of the text off after each piece (the reference)."""
    out = []
    while len(text) > limit:
        cut = text.rfind(" ", 1, limit)
        while cut > 0 and (text[cut - 1].isspace() or text[cut + 1].isspace()):
            cut = text.rfind(" ", 1, cut)
        out.append(text[:cut] if cut > 0 else text[:limit])
        text = text[cut + 1:] if cut > 0 else text[limit:]
    return [*out, text]


@pytest.mark.parametrize("limit", [1, 2, 3, 8, 17])
def test_pieces_read_from_an_offset_equal_those_cut_off_the_text(monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    """The texts the tokenizer is handed do not change (the sketch and the mean read the same tokens)."""
    from traingate.data import embeddings

    monkeypatch.setattr(embeddings, "PIECE_CHARS", limit)
    rng = random.Random(limit)
    alphabet = ["a", "bc", " ", "  ", "\t", "\n", "東", "\u00a0", "\U0001F600", "-"]
    texts = ["", " ", "  x", "x  ", " a b c d e f g h ", *ADVERSARIAL[3:4]]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(60))) for _ in range(300)]
    for text in texts:
        assert embeddings.pieces(text) == _pieces_by_slicing(text, limit), repr(text)
