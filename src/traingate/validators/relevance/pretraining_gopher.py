"""Gopher's quality rules (Rae et al. 2021), as datatrove's GopherQualityFilter applies them: document length
in words, mean word length, hashes and ellipses per word, bullet and ellipsis lines, words with a letter, and
stop words."""

from __future__ import annotations

import math

from pydantic import Field

from traingate.contracts.model import StrictModel
from traingate.validators.relevance.pretraining_words import PUNCTUATION_SET, Failure, over, under

STOP_WORDS = ["the", "be", "to", "of", "and", "that", "have", "with"]


class GopherQuality(StrictModel):
    """Thresholds of `gopher_quality` (datatrove's GopherQualityFilter parameters; null or 0 turns one off)."""

    min_doc_words: int | None = Field(50, description="Fewest words that are not only punctuation.")
    max_doc_words: int | None = Field(100_000, description="Most words that are not only punctuation.")
    min_avg_word_length: float | None = Field(3, description="Smallest mean length of those words.")
    max_avg_word_length: float | None = Field(10, description="Largest mean length of those words.")
    max_symbol_word_ratio: float | None = Field(0.1, description="Most '#', and most ellipses ('...', '…'), per word.")
    max_bullet_lines_ratio: float | None = Field(0.9, description="Most lines starting with '•' or '-', as a share.")
    max_ellipsis_lines_ratio: float | None = Field(0.3, description="Most lines ending with '...' or '…', as a share.")
    max_non_alpha_words_ratio: float | None = Field(
        0.8, description="Fewest words holding a letter, as a share of the words (a minimum despite its name).")
    min_stop_words: int | None = Field(2, description="Fewest distinct stop words among the words.")
    stop_words: list[str] = Field(STOP_WORDS, description="The stop words (exact, case-sensitive tokens).")


def _lengths(text: str, words: list[str], o: GopherQuality) -> list[Failure | None]:
    kept = [len(w) for w in words if any(ch not in PUNCTUATION_SET for ch in w)]
    mean = sum(kept) / len(kept) if kept else math.nan  # as numpy's mean of integer lengths: exact sums
    name = "gopher_quality."
    return [under(name + "short_doc", len(kept), o.min_doc_words, "min_doc_words", "words"),
            over(name + "long_doc", len(kept), o.max_doc_words, "max_doc_words", "words"),
            under(name + "short_words", mean, o.min_avg_word_length, "min_avg_word_length", "chars per word"),
            over(name + "long_words", mean, o.max_avg_word_length, "max_avg_word_length", "chars per word")]


def _symbols(text: str, words: list[str], o: GopherQuality) -> list[Failure | None]:
    """Rules dividing by the words or lines; a text without any breaks none (datatrove would divide by zero,
    which its defaults never reach: such a text is already too short)."""
    name = "gopher_quality."
    found: list[Failure | None] = []
    if words:
        found += [over(name + "hashes", text.count("#") / len(words), o.max_symbol_word_ratio, "max_symbol_word_ratio"),
                  over(name + "ellipses", (text.count("...") + text.count("…")) / len(words), o.max_symbol_word_ratio,
                       "max_symbol_word_ratio")]
    lines = text.splitlines()
    if lines:
        bullets = sum(s.lstrip().startswith("•") or s.lstrip().startswith("-") for s in lines) / len(lines)
        trailing = sum(s.rstrip().endswith("...") or s.rstrip().endswith("…") for s in lines) / len(lines)
        found += [over(name + "bullet_lines", bullets, o.max_bullet_lines_ratio, "max_bullet_lines_ratio"),
                  over(name + "ellipsis_lines", trailing, o.max_ellipsis_lines_ratio, "max_ellipsis_lines_ratio")]
    if words:
        alpha = sum(any(c.isalpha() for c in w) for w in words) / len(words)
        found.append(under(name + "alpha_words", alpha, o.max_non_alpha_words_ratio, "max_non_alpha_words_ratio"))
    return found


def gopher_quality(text: str, words: list[str], o: GopherQuality) -> list[Failure]:
    """Every quality rule `text` breaks, in datatrove's order (its first is datatrove's reason)."""
    found = _lengths(text, words, o) + _symbols(text, words, o)
    stops = len(set(o.stop_words).intersection(words))
    found.append(under("gopher_quality.stop_words", stops, o.min_stop_words, "min_stop_words", "stop words"))
    return [f for f in found if f is not None]
