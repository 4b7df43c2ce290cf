"""The features `topic` and `task_type`: zero-shot, each row's text goes to the label whose description
its embedding is nearest to (cosine), or to `other` when even the nearest is under a floor.

A label's description is one phrase or several; its vector is the normalised mean of its phrases'
vectors. `topic` reads the row's text (text_features.row_text: its prompt side, else its response); `task_type`
reads the prompt side alone (the instruction says what is asked), else the same text. Both are computed
once per batch and label set (batch.derived); label vectors once per process."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from traingate.data import embeddings
from traingate.data.batch import BatchContext
from traingate.validators.common.text_features import row_text
from traingate.validators.common.topic_labels import DEFAULT_LABELS, MIN_SIMILARITY

OTHER, NO_TEXT = "other", "none"  # a row nearest to no label enough; a row without text
HEAD_CHARS, TAIL_CHARS = 600, 200  # task_type reads a prompt's start and end: the instruction, not the input
Labels = tuple[tuple[str, tuple[str, ...]], ...]  # (name, phrases) per label, hashable for the caches


DEFAULT_MODEL = "wordllama"  # the default labels' phrases and floor were fitted to it, and measured with it


def default_model() -> str:
    """The embedding model when the check names none: the one the default labels were tuned on, whatever
    the semantic checks' default (another model moves the labels' accuracy and the `other` floor)."""
    return DEFAULT_MODEL


@dataclass(frozen=True)
class ZeroShot:
    """How a contract asks for `topic` or `task_type`: its labels (None: the defaults), model and floor."""

    feature: str
    labels: Mapping[str, str | Sequence[str]] | None = None
    model: str | None = None
    min_similarity: float | None = None

    def label_set(self) -> Labels:
        given = self.labels if self.labels is not None else DEFAULT_LABELS[self.feature]
        return tuple((name, (phrases,) if isinstance(phrases, str) else tuple(phrases))
                     for name, phrases in given.items())

    def given(self) -> bool:
        """Whether the contract asks for the zero-shot labels by name (labels, model or floor)."""
        return self.labels is not None or self.model is not None or self.min_similarity is not None

    def floor(self) -> float:
        return self.min_similarity if self.min_similarity is not None else MIN_SIMILARITY[self.feature]

    def key(self) -> str:
        """The batch.derived key: two checks asking the same thing share one computation."""
        digest = hashlib.sha256(repr((self.label_set(), self.floor())).encode()).hexdigest()[:16]
        return f"{self.feature}:{self.model or default_model()}:{digest}"


@lru_cache(maxsize=16)
def label_vectors(labels: Labels, model: str) -> np.ndarray:
    """One normalised row per label: the mean of its phrases' vectors."""
    out = np.zeros((len(labels), 0), np.float32)
    for i, (_, phrases) in enumerate(labels):
        mean = embed_texts(list(phrases), model).mean(axis=0)
        if not out.shape[1]:
            out = np.zeros((len(labels), len(mean)), np.float32)
        out[i] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return out


def embed_texts(texts: list[str], model: str) -> np.ndarray:
    vectors: np.ndarray = embeddings.embed(texts, model)
    return vectors


def centred(vectors: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Vectors less the labels' mean, normalised (a zero vector stays zero): what every text of a static
    model shares (function words, the language) no longer decides the nearest label."""
    moved = np.where(vectors.any(axis=1, keepdims=True), vectors - centre, 0.0)
    out: np.ndarray = moved / np.maximum(np.linalg.norm(moved, axis=1, keepdims=True), 1e-12)
    return out


def nearest(vectors: np.ndarray, table: np.ndarray, names: Sequence[str], floor: float) -> list[str]:
    """Each row's nearest label by cosine, both taken from the labels' mean (centred); OTHER under the
    floor, NO_TEXT for a zero vector (a text without tokens). Ties go to the label listed first."""
    if not len(vectors):
        return []
    centre = table.mean(axis=0)
    scores = centred(vectors, centre) @ centred(table, centre).T
    best = scores.argmax(axis=1)
    top = scores[np.arange(len(best)), best]
    empty: list[bool] = np.logical_not(vectors.any(axis=1)).tolist()
    return [NO_TEXT if e else names[b] if s >= floor else OTHER for b, s, e in zip(best.tolist(), top.tolist(), empty)]


def classify(texts: Sequence[str], ask: ZeroShot) -> list[str]:
    """The label of each text (NO_TEXT for an empty one)."""
    labels = ask.label_set()
    model = ask.model or default_model()
    table = label_vectors(labels, model)
    keep = [i for i, t in enumerate(texts) if t.strip()]
    out = [NO_TEXT] * len(texts)
    if keep:
        found = nearest(embed_texts([texts[i] for i in keep], model), table, [n for n, _ in labels], ask.floor())
        for i, label in zip(keep, found):
            out[i] = label
    return out


def instruction(text: str) -> str:
    """A prompt's start and end (where an instruction sits around its input)."""
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    return f"{text[:HEAD_CHARS]} {text[-TAIL_CHARS:]}"


def classifies(batch: BatchContext, ask: ZeroShot) -> bool:
    """Whether the batch's rows are labelled zero-shot: when the contract gives labels, a model or a floor,
    or the data has no column of the feature's name (one that has is counted as it is)."""
    return ask.given() or batch.column(ask.feature) is None


def zero_shot(batch: BatchContext, ask: ZeroShot) -> list[str]:
    """The feature's label per row, once per batch and label set."""

    def compute(b: BatchContext) -> list[str]:
        texts = row_text(b) if ask.feature == "topic" else [instruction(t) for t in prompt_text(b)]
        return classify(texts, ask)

    labels: list[str] = batch.derived(ask.key(), compute)
    return labels


def prompt_text(batch: BatchContext) -> list[str]:
    """Each row's first prompt (its first user turn), whole; the row's text where it has none."""
    from traingate.validators.common.turns import prompts

    texts = [""] * batch.num_rows
    view = prompts(batch)
    if view is not None:
        for row, value in zip(view.row_of().tolist(), view.values.to_pylist()):
            if not texts[row] and value and value.strip():
                texts[row] = value
    fallback = row_text(batch)
    return [t or f for t, f in zip(texts, fallback)]
