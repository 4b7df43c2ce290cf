"""Sentence embeddings from an offline model (data/embedding_models.py), loaded once per process.

A text's vector is the mean of its token vectors (the unknown token left out where the model says so).
wordllama's own `embed` pads a batch of 256 texts to the longest one and looks every position up at once
(256 x the longest row x 256 dims x 4 bytes: 7 GB for one 8,000-word row), so the mean is computed here in
bounded steps instead, for every model: a text is
tokenized in pieces of at most PIECE_CHARS characters (cut at a space between words, where the tokenizer
would start a new word anyway), its tokens are cut into windows of at most WINDOW tokens, WINDOWS_PER_STEP
windows are looked up at a time (at most 32 MiB), and the text's vector is the sum of its windows' sums over
its token count, normalised: the mean of all its token vectors, as the model pools, whatever its length.
A text's vector depends on that text alone, not on the texts embedded with it. `embed_rows` also gives each
text's token count and a MinHash of its token ids (data/token_sketch.py), read from the same windows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from traingate.data.embedding_models import DEFAULT_MODEL, MODELS, TokenModel, load
from traingate.data.token_sketch import EMPTY, SKETCH, window_sketches

__all__ = ["DEFAULT_MODEL", "MODELS", "Embedded", "embed", "embed_rows", "pieces"]

PIECE_CHARS = 4096  # characters tokenized at once per text
TOKENIZE_CHARS = 1 << 20  # characters handed to the tokenizer per call (its per-token objects stay small)
WINDOW = 512  # tokens per window
WINDOWS_PER_STEP = 64  # windows looked up at once: 64 x 512 tokens x 256 dims x 4 bytes = 32 MiB


def pieces(text: str) -> list[str]:
    """The text in pieces of at most PIECE_CHARS characters, each cut at a single space between two words
    (the space dropped: the tokenizer marks a piece's first word as starting after a space); a piece with no
    such space is cut at the limit. The text is read from an offset, never copied whole again: cutting the
    rest off piece by piece took 1.6 CPU seconds on one 16 MiB row and 11 on one of 32 MiB."""
    out = []
    start = 0
    while len(text) - start > PIECE_CHARS:
        cut = text.rfind(" ", start + 1, start + PIECE_CHARS)
        while cut > start and (text[cut - 1].isspace() or text[cut + 1].isspace()):
            cut = text.rfind(" ", start + 1, cut)
        end = cut if cut > start else start + PIECE_CHARS
        out.append(text[start:end])
        start = end + 1 if cut > start else end
    return [*out, text[start:]]


def _token_ids(texts: list[str], model: TokenModel) -> Iterator[tuple[int, np.ndarray]]:
    """(text index, token ids of one piece), piece by piece in order, tokenizing TOKENIZE_CHARS at a time."""
    batch: list[tuple[int, str]] = []
    size = 0
    for index, text in enumerate(texts):
        for piece in pieces(text):
            batch.append((index, piece))
            size += len(piece)
            if size >= TOKENIZE_CHARS:
                yield from _encode(model, batch)
                batch, size = [], 0
    yield from _encode(model, batch)


def _encode(model: TokenModel, batch: list[tuple[int, str]]) -> Iterator[tuple[int, np.ndarray]]:
    pieces_ = [piece for _, piece in batch]
    encoded: list[Any] = model.tokenizer.encode_batch(pieces_, add_special_tokens=False) if batch else []
    for (index, _), encoding in zip(batch, encoded):
        ids = np.asarray(encoding.ids, dtype=np.int32)
        yield index, ids if model.dropped is None else ids[ids != model.dropped]


def _windows(texts: list[str], model: TokenModel) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Every text's tokens cut into windows of at most WINDOW, in text order; the text each window belongs
    to; each text's token count."""
    windows: list[np.ndarray] = []
    owners: list[int] = []
    counts = np.zeros(len(texts), dtype=np.int64)
    tail, owner = np.zeros(0, dtype=np.int32), -1
    for index, ids in _token_ids(texts, model):  # a text's pieces come one after another
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


def _window_sums(windows: list[np.ndarray], table: np.ndarray,
                 sketch: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """The sum of each window's token vectors, WINDOWS_PER_STEP windows (padded with the zero row) at a time;
    with a sketch table (token_sketch.ranks), each window's smallest rank per permutation too."""
    sums = np.zeros((len(windows), table.shape[1]), dtype=np.float32)
    mins = None if sketch is None else np.zeros((len(windows), SKETCH), dtype=np.uint16)
    by_length = np.argsort([len(w) for w in windows], kind="stable")  # similar lengths together: little padding
    for start in range(0, len(windows), WINDOWS_PER_STEP):
        step = by_length[start: start + WINDOWS_PER_STEP]
        ids = np.full((len(step), max(len(windows[i]) for i in step)), len(table) - 1, dtype=np.int64)
        for row, i in enumerate(step):
            ids[row, : len(windows[i])] = np.clip(windows[i], 0, len(table) - 2)
        sums[step] = table[ids].sum(axis=1, dtype=np.float32)
        if sketch is not None and mins is not None:
            mins[step] = window_sketches(ids, sketch)
    return sums, mins


@dataclass(frozen=True)
class Embedded:
    vectors: np.ndarray  # (texts, dims) float32, L2-normalised; the zero vector for a text without tokens
    sketches: np.ndarray  # (texts, SKETCH) uint16 MinHash of each text's token ids; EMPTY without tokens
    tokens: np.ndarray  # (texts,) int64: tokens in each text (those the mean counts)


def embed(texts: list[str], model: str = DEFAULT_MODEL) -> np.ndarray:
    """L2-normalised float32 embeddings, one row per text (a text without tokens gets the zero vector)."""
    return _embed(texts, model, sketched=False).vectors


def embed_rows(texts: list[str], model: str = DEFAULT_MODEL) -> Embedded:
    """The embeddings of `embed`, with each text's token sketch and token count."""
    return _embed(texts, model, sketched=True)


def _embed(texts: list[str], model: str, sketched: bool) -> Embedded:
    loaded = load(model)
    table = loaded.table
    out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
    sketches = np.full((len(texts), SKETCH if sketched else 0), EMPTY, dtype=np.uint16)
    windows, owners, counts = _windows(texts, loaded)
    if not windows:
        return Embedded(out, sketches, counts)
    sums, mins = _window_sums(windows, table, loaded.sketch if sketched else None)
    starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
    texts_with_tokens = owners[starts]
    means = np.add.reduceat(sums, starts, axis=0) / counts[texts_with_tokens, None].astype(np.float32)
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    out[texts_with_tokens] = means / np.maximum(norms, np.finfo(np.float32).tiny)
    if mins is not None:
        sketches[texts_with_tokens] = np.minimum.reduceat(mins, starts, axis=0)
    return Embedded(out, sketches, counts)
