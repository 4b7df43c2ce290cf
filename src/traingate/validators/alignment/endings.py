"""Finished forms of a response that ends without sentence punctuation: the `truncated` check does not call
these cut off. Each rule looks at the last non-empty lines only."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

LIST_ITEM = re.compile(r"^\s*(?:[-*•+–]|\d{1,3}[.)]|[A-Za-z][.)]|\[[ xX]\])\s+\S")
HEADING = re.compile(r"^\s*#{1,6}\s+\S")
URL = re.compile(r"(?:https?://|www\.)\S+$")
HASHTAGS = re.compile(r"#\w+$")
VALEDICTION = re.compile(r"^[^\n.!?]{1,40},\s*$")
DASH_SIGNATURE = re.compile(r"^\s*(?:—|–|--|~)\s*\S[^\n]{0,60}$")
DASH_END = re.compile(r"(?:—|--)\s*$")
# words a finished line does not end on: a list item or title ending in one was cut mid-sentence
DANGLING = frozenset({"a", "an", "the", "and", "or", "but", "nor", "of", "to", "with", "from", "into", "than",
                      "my", "your", "our", "their", "its"})
SMALL_WORDS = frozenset({"a", "an", "the", "of", "in", "on", "and", "or", "for", "to", "at", "by", "with", "from", "vs"})


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().splitlines() if line.strip()]


def list_item(lines: list[str]) -> bool:
    return bool(LIST_ITEM.match(lines[-1]))


def heading(lines: list[str]) -> bool:
    return bool(HEADING.match(lines[-1]))


def url(lines: list[str]) -> bool:
    return bool(URL.search(lines[-1]))


def hashtags(lines: list[str]) -> bool:
    return bool(HASHTAGS.search(lines[-1]))


def signature(lines: list[str]) -> bool:
    """`Best,` / `Sincerely,` and up to three short lines of name and title, or a `— Anna` line."""
    if DASH_SIGNATURE.match(lines[-1]) or (len(lines) > 1 and DASH_END.search(lines[-2]) and len(lines[-1].split()) <= 8):
        return True  # `— Anna`, or a quotation's source on the line after its dash
    for back in range(2, min(4, len(lines)) + 1):
        closing, after = lines[-back], lines[-back + 1:]
        if VALEDICTION.match(closing) and len(closing.split()) <= 4 and all(len(line.split()) <= 8 for line in after):
            return True
    return False


def title(lines: list[str]) -> bool:
    """A last line in title case: at most 12 words, every word but small ones capitalised."""
    words = re.findall(r"[^\W\d_][\w'’-]*", lines[-1])
    big = [w for w in words if w.lower() not in SMALL_WORDS]
    return 0 < len(words) <= 12 and len(big) >= 2 and all(w[0].isupper() for w in big)


def emoji(lines: list[str]) -> bool:
    """Ends with a pictograph (😊, 🚀), which closes a sentence in chat."""
    last = lines[-1].rstrip("\ufe0f\u200d")
    return bool(last) and unicodedata.category(last[-1]) == "So"


RULES: dict[str, Callable[[list[str]], bool]] = {
    "list_item": list_item, "heading": heading, "url": url, "hashtags": hashtags, "signature": signature,
    "title": title, "emoji": emoji}


def _dangling(line: str) -> bool:
    """The line stops where no form ends: on a comma, or on an article, conjunction or preposition
    (`- preheat the oven to`), so it was cut whatever form it has."""
    if line.endswith(","):
        return True
    words = re.findall(r"[^\W\d_][\w'’-]*", line)
    return bool(words) and line.endswith(words[-1]) and words[-1].lower() in DANGLING


def finished_form(text: str, rules: list[str]) -> str | None:
    """The first rule (of `rules`) whose finished form the end of `text` has, or None; none when the last
    line ends on a comma or a word no sentence ends on."""
    lines = _lines(text)
    if not lines or _dangling(lines[-1]):
        return None
    return next((name for name in rules if RULES[name](lines)), None)
