"""The embedding models traingate can load offline: each is a WordPiece/BPE tokenizer plus one vector per
token, and a text's vector is the mean of its token vectors (data/embeddings.py pools them in bounded memory).

- `minilm-static` (the default): 256-d token vectors distilled with model2vec from all-MiniLM-L6-v2
  (Apache-2.0), shipped inside traingate as package data (data/static_model: int8 vectors with one scale per
  token, 6.7 MB, and the model's tokenizer); loaded with numpy and `tokenizers`, no torch. Rebuilt by
  scripts/distill_static_model.py, which also says how it was centred.
- `wordllama`: the 256-d `l2_supercat` model that the wordllama package carries."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import numpy as np

from traingate.data.token_sketch import ranks
from traingate.errors import MissingDependencyError

DEFAULT_MODEL: Final = "minilm-static"
MODELS = ("minilm-static", "wordllama")
STATIC_MODEL = Path(__file__).resolve().parent / "static_model"


@dataclass(frozen=True)
class TokenModel:
    tokenizer: Any  # tokenizers.Tokenizer with padding and truncation off
    table: np.ndarray  # float32 token vectors with a zero row appended (the padding id, last)
    dropped: int | None  # a token id left out of the mean (the unknown token), or None
    sketch: np.ndarray  # the token sketch's permutations of the table's ids (token_sketch.ranks), 3.8 MB


def _tokenizer(text: str, model: str) -> Any:
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise MissingDependencyError(f"embedding model {model!r}", "semantic", "tokenizers") from exc
    tokenizer = Tokenizer.from_str(text)
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def _with_zero_row(vectors: np.ndarray) -> np.ndarray:
    return np.vstack([vectors.astype(np.float32), np.zeros((1, vectors.shape[1]), np.float32)])


@lru_cache(maxsize=2)
def load(model: str) -> TokenModel:
    if model == "minilm-static":
        return _static()
    if model == "wordllama":
        return _wordllama()
    raise ValueError(f"unknown embedding model {model!r}; known: {', '.join(MODELS)}")


def _static() -> TokenModel:
    tokenizer = _tokenizer((STATIC_MODEL / "tokenizer.json").read_text(encoding="utf-8"), "minilm-static")
    with np.load(STATIC_MODEL / "vectors.npz") as stored:
        vectors = stored["vectors"].astype(np.float32) * stored["scales"][:, None]
    unknown = tokenizer.token_to_id("[UNK]")  # model2vec leaves the unknown token out of the mean
    return TokenModel(tokenizer, _with_zero_row(vectors), unknown, ranks(len(vectors)))


def _wordllama() -> TokenModel:
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError as exc:
        raise MissingDependencyError("embedding model 'wordllama'", "semantic", "wordllama") from exc
    # The wheel carries its 256-d weights and tokenizer; pointing the cache at the package itself
    # makes the loader find both there, and disable_download forbids any network fallback.
    model = WordLlama.load(config="l2_supercat", dim=256, cache_dir=Path(wordllama.__file__).parent,
                           disable_download=True)
    vectors = np.asarray(model.embedding)
    return TokenModel(_tokenizer(model.tokenizer.to_str(), "wordllama"), _with_zero_row(vectors), None,
                      ranks(len(vectors)))
