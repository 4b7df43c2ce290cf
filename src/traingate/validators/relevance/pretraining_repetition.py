"""Gopher's repetition rules (Rae et al. 2021, table A1), as datatrove's GopherRepetitionFilter applies them:
duplicate lines and paragraphs (by count and by characters), the most frequent 2- to 4-gram's share of the
characters, and the characters inside repeated 5- to 10-grams."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from pydantic import Field

from traingate.contracts.model import StrictModel
from traingate.validators.relevance.pretraining_words import Failure, over

PARAGRAPH = re.compile(r"\n{2,}")
LINE = re.compile("\n+")


class GopherRepetition(StrictModel):
    """Thresholds of `gopher_repetition` (datatrove's GopherRepetitionFilter parameters; null turns one off, and so
    does 0 for the four line and paragraph shares)."""

    dup_line_frac: float | None = Field(0.3, description="Most duplicate lines, as a share of the lines.")
    dup_para_frac: float | None = Field(0.3, description="Most duplicate paragraphs, as a share of the paragraphs.")
    dup_line_char_frac: float | None = Field(0.2, description="Most characters in duplicate lines, as a share.")
    dup_para_char_frac: float | None = Field(0.2, description="Most characters in duplicate paragraphs, as a share.")
    top_n_grams: list[tuple[int, float]] = Field(
        [(2, 0.2), (3, 0.18), (4, 0.16)],
        description="[n, share]: the most frequent word n-gram's characters times its count, at most this share.")
    dup_n_grams: list[tuple[int, float]] = Field(
        [(5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10)],
        description="[n, share]: characters of word n-grams seen before, at most this share.")


def find_duplicates(parts: list[str]) -> tuple[int, int]:
    """How many of `parts` repeat an earlier one, and their characters."""
    seen: set[str] = set()
    count = chars = 0
    for part in parts:
        if part in seen:
            count += 1
            chars += len(part)
        else:
            seen.add(part)
    return count, chars


def top_duplicate(grams: list[str]) -> int:
    """The most frequent n-gram's characters times its count (the first seen among equals)."""
    gram, count = Counter(grams).most_common(1)[0]
    return len(gram) * count


def all_duplicate(words: list[str], n: int) -> int:
    """Characters of the n-grams (words joined without spaces) that repeat one seen before, a repeat
    skipping its n words."""
    seen: set[str] = set()
    chars = i = 0
    while i < len(words) - n + 1:
        gram = "".join(words[i:i + n])
        if gram in seen:
            chars += len(gram)
            i += n
        else:
            seen.add(gram)
            i += 1
    return chars


def gopher_repetition(text: str, words: Callable[[], list[str]], o: GopherRepetition) -> list[Failure]:
    """Every repetition rule `text` breaks, in datatrove's order (its first is datatrove's reason)."""
    if not text:
        return [Failure("gopher_repetition.empty", 0.0, "chars", "some text")]
    name = "gopher_repetition."
    size = len(text)
    paragraphs = PARAGRAPH.split(text.strip())
    para_dups, para_chars = find_duplicates(paragraphs)
    lines = LINE.split(text)
    line_dups, line_chars = find_duplicates(lines)
    found = [over(name + "dup_para_frac", para_dups / len(paragraphs), o.dup_para_frac, "dup_para_frac"),
             over(name + "dup_para_char_frac", para_chars / size, o.dup_para_char_frac, "dup_para_char_frac"),
             over(name + "dup_line_frac", line_dups / len(lines), o.dup_line_frac, "dup_line_frac"),
             over(name + "dup_line_char_frac", line_chars / size, o.dup_line_char_frac, "dup_line_char_frac")]
    tokens = words()
    for n, share in o.top_n_grams:
        grams = [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
        if grams:
            found.append(over(f"{name}top_{n}_gram", top_duplicate(grams) / size, share, "top_n_grams",
                               zero_is_off=False))
    for n, share in o.dup_n_grams:
        found.append(over(f"{name}duplicated_{n}_n_grams", all_duplicate(tokens, n) / size, share, "dup_n_grams",
                           zero_is_off=False))
    return [f for f in found if f is not None]
