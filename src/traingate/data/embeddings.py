"""Sentence embeddings from a model shipped inside a registry package, loaded once per process.

wordllama's vector of a text is the mean of its token vectors. The model's own `embed` pads a batch of
256 texts to the longest one and looks every position up at once (256 x the longest row x 256 dims x 4
bytes: 7 GB for one 8,000-word row), so the mean is computed here in bounded steps instead: a text is
tokenized in pieces of at most PIECE_CHARS characters (cut at a space between words, where the tokenizer
would start a new word anyway), its tokens are cut into windows of at most WINDOW tokens, WINDOWS_PER_STEP
windows are looked up at a time (at most 32 MiB), and the text's vector is the sum of its windows' sums over
its token count, normalised: the mean of all its token vectors, as the model pools, whatever its length.
A text's vector depends on that text alone, not on the texts embedded with it."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from traingate.errors import MissingDependencyError

PIECE_CHARS = 4096  # characters tokenized at once per text
TOKENIZE_CHARS = 1 << 20  # characters handed to the tokenizer per call (its per-token objects stay small)
WINDOW = 512  # tokens per window
WINDOWS_PER_STEP = 64  # windows looked up at once: 64 x 512 tokens x 256 dims x 4 bytes = 32 MiB


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


@lru_cache(maxsize=1)
def _model() -> tuple[Any, np.ndarray]:
    """The model's tokenizer without padding, and its token vectors with a zero row appended (the padding id)."""
    from tokenizers import Tokenizer

    model = _wordllama()
    tokenizer = Tokenizer.from_str(model.tokenizer.to_str())
    tokenizer.no_padding()
    tokenizer.no_truncation()
    vectors = np.asarray(model.embedding, dtype=np.float32)
    return tokenizer, np.vstack([vectors, np.zeros((1, vectors.shape[1]), np.float32)])


def pieces(text: str) -> list[str]:
    """The text in pieces of at most PIECE_CHARS characters, each cut at a single space between two words
    (the space dropped: the tokenizer marks a piece's first word as starting after a space); a piece with no
    such space is cut at the limit."""
    out = []
    while len(text) > PIECE_CHARS:
        cut = text.rfind(" ", 1, PIECE_CHARS)
        while cut > 0 and (text[cut - 1].isspace() or text[cut + 1].isspace()):
            cut = text.rfind(" ", 1, cut)
        out.append(text[:cut] if cut > 0 else text[:PIECE_CHARS])
        text = text[cut + 1:] if cut > 0 else text[PIECE_CHARS:]
    return [*out, text]


def _token_ids(texts: list[str]) -> Iterator[tuple[int, np.ndarray]]:
    """(text index, token ids of one piece), piece by piece in order, tokenizing TOKENIZE_CHARS at a time."""
    tokenizer, _ = _model()
    batch: list[tuple[int, str]] = []
    size = 0
    for index, text in enumerate(texts):
        for piece in pieces(text):
            batch.append((index, piece))
            size += len(piece)
            if size >= TOKENIZE_CHARS:
                yield from _encode(tokenizer, batch)
                batch, size = [], 0
    yield from _encode(tokenizer, batch)


def _encode(tokenizer: Any, batch: list[tuple[int, str]]) -> Iterator[tuple[int, np.ndarray]]:
    encoded = tokenizer.encode_batch([piece for _, piece in batch], add_special_tokens=False) if batch else []
    for (index, _), encoding in zip(batch, encoded):
        yield index, np.asarray(encoding.ids, dtype=np.int32)


def _windows(texts: list[str]) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Every text's tokens cut into windows of at most WINDOW, in text order; the text each window belongs
    to; each text's token count."""
    windows: list[np.ndarray] = []
    owners: list[int] = []
    counts = np.zeros(len(texts), dtype=np.int64)
    tail, owner = np.zeros(0, dtype=np.int32), -1
    for index, ids in _token_ids(texts):  # a text's pieces come one after another
        if index != owner:
            if len(tail):
                windows.append(tail)
                owners.append(owner)
            tail, owner = ids[:0], index
        counts[index] += len(ids)
        tokens = np.concatenate([tail, ids])
        full = len(tokens) // WINDOW * WINDOW
        windows += [tokens[i: i + WINDOW] for i in range(0, full, WINDOW)]
        owners += [index] * (full // WINDOW)
        tail = tokens[full:]
    if len(tail):
        windows.append(tail)
        owners.append(owner)
    return windows, np.asarray(owners, dtype=np.int64), counts


def _window_sums(windows: list[np.ndarray], table: np.ndarray) -> np.ndarray:
    """The sum of each window's token vectors, WINDOWS_PER_STEP windows (padded with the zero row) at a time."""
    sums = np.zeros((len(windows), table.shape[1]), dtype=np.float32)
    by_length = np.argsort([len(w) for w in windows], kind="stable")  # similar lengths together: little padding
    for start in range(0, len(windows), WINDOWS_PER_STEP):
        step = by_length[start: start + WINDOWS_PER_STEP]
        ids = np.full((len(step), max(len(windows[i]) for i in step)), len(table) - 1, dtype=np.int64)
        for row, i in enumerate(step):
            ids[row, : len(windows[i])] = np.clip(windows[i], 0, len(table) - 2)
        sums[step] = table[ids].sum(axis=1, dtype=np.float32)
    return sums


def embed(texts: list[str], model: str) -> np.ndarray:
    """L2-normalised float32 embeddings, one row per text (a text without tokens gets the zero vector)."""
    if model != "wordllama":
        raise MissingDependencyError(f"embedding model {model!r}", "semantic", model)
    _, table = _model()
    out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
    windows, owners, counts = _windows(texts)
    if not windows:
        return out
    sums = _window_sums(windows, table)
    starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
    texts_with_tokens = owners[starts]
    means = np.add.reduceat(sums, starts, axis=0) / counts[texts_with_tokens, None].astype(np.float32)
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    out[texts_with_tokens] = means / np.maximum(norms, np.finfo(np.float32).tiny)
    return out
