"""Sentence embeddings from a model shipped inside a registry package, loaded once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from traingate.errors import MissingDependencyError


@lru_cache(maxsize=2)
def _wordllama() -> Any:
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError as exc:
        raise MissingDependencyError("semantic checks (model wordllama)", "semantic", "wordllama") from exc
    # The wheel carries its 256-d weights and tokenizer; pointing the cache at the package itself
    # makes the loader find both there, and disable_download forbids any network fallback.
    return WordLlama.load(config="l2_supercat", dim=256, cache_dir=Path(wordllama.__file__).parent,
                          disable_download=True)


def embed(texts: list[str], model: str) -> np.ndarray:
    """L2-normalised float32 embeddings, one row per text."""
    if model != "wordllama":
        raise MissingDependencyError(f"embedding model {model!r}", "semantic", model)
    vectors = _wordllama().embed(texts, norm=True, batch_size=256)
    return np.asarray(vectors, dtype=np.float32)
