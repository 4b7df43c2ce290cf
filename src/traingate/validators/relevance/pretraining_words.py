"""What the pretraining quality rules share: words and sentences as datatrove's English tokenizer finds them
(a blank spaCy English pipeline with its rule-based sentencizer; no model, nothing downloaded), its
punctuation sets, and a rule's failure. datatrove (Apache-2.0) defines the sets copied here; the rules use
them exactly as datatrove's filters do, so a document passes here when it passes there."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from traingate.errors import require

# datatrove.utils.text.PUNCTUATION: ASCII and CJK punctuation, then the control characters 0-8, 11-31, 127-159.
PUNCTUATION = ("!/—”:％１〈&(、━\\【#%「」，】；+^]~“《„';’{|∶´[=-`*．（–？！：$～«〉,><》)?）。…@_.\"}►»"
               + "".join(map(chr, (x for a, b in ((0, 9), (11, 13), (13, 32), (127, 160)) for x in range(a, b)))))
# datatrove.utils.text.TERMINAL_PUNCTUATION: sentence-ending marks of many scripts.
TERMINAL_PUNCTUATION = frozenset(
    "!.?\u0589\u061d\u061e\u061f\u06d4\u0700\u0701\u0702\u07f9\u0837\u0839\u083d\u083e\u0964\u0965\u104a\u104b"
    "\u1362\u1367\u1368\u166e\u1735\u1736\u17d4\u17d5\u17d6\u17d9\u17da\u1803\u1809\u1944\u1945\u1aa8\u1aa9\u1aaa"
    "\u1aab\u1b5a\u1b5b\u1b5e\u1b5f\u1b7d\u1b7e\u1c3b\u1c3c\u1c7e\u1c7f\u203c\u203d\u2047\u2048\u2049\u2e2e\u2e3c"
    "\u2e53\u2e54\u3002\ua4ff\ua60e\ua60f\ua6f3\ua6f7\ua876\ua877\ua8ce\ua8cf\ua92f\ua9c8\ua9c9\uaa5d\uaa5e\uaa5f"
    "\uaaf0\uaaf1\uabeb\ufe52\ufe56\ufe57\uff01\uff0e\uff1f\uff61\U00010a56\U00010a57\U00010f55\U00010f56\U00010f57"
    "\U00010f58\U00010f59\U00010f86\U00010f87\U00010f88\U00010f89\U00011047\U00011048\U000110be\U000110bf\U000110c0"
    "\U000110c1\U00011141\U00011142\U00011143\U000111c5\U000111c6\U000111cd\U000111de\U000111df\U00011238\U00011239"
    "\U0001123b\U0001123c\U000112a9\U0001144b\U0001144c\U000115c2\U000115c3\U000115c9\U000115ca\U000115cb\U000115cc"
    "\U000115cd\U000115ce\U000115cf\U000115d0\U000115d1\U000115d2\U000115d3\U000115d4\U000115d5\U000115d6\U000115d7"
    "\U00011641\U00011642\U0001173c\U0001173d\U0001173e\U00011944\U00011946\U00011a42\U00011a43\U00011a9b\U00011a9c"
    "\U00011c41\U00011c42\U00011ef7\U00011ef8\U00011f43\U00011f44\U00016a6e\U00016a6f\U00016af5\U00016b37\U00016b38"
    "\U00016b44\U00016e98\U0001bc9f\U0001da88")
PUNCTUATION_SET = frozenset(PUNCTUATION) | TERMINAL_PUNCTUATION


@dataclass(frozen=True)
class Failure:
    """A rule a document breaks: `reason` (rule set.rule), what was measured, in what unit, and the limit."""

    reason: str
    value: float
    measure: str
    limit: str  # e.g. "> 0.3 (dup_line_frac)"


def over(reason: str, value: float, limit: float | None, option: str, measure: str = "ratio",
         zero_is_off: bool = True) -> Failure | None:
    """The failure when `value` exceeds `limit`. A null limit is off, and so is zero where datatrove tests the
    limit's truth (`zero_is_off`)."""
    if limit is None or (zero_is_off and not limit) or not value > limit:
        return None
    return Failure(reason, value, measure, f"at most {limit:g} ({option})")


def under(reason: str, value: float, limit: float | None, option: str, measure: str = "ratio",
          zero_is_off: bool = True) -> Failure | None:
    """The failure when `value` is below `limit`, null (and zero, as `over`) being off."""
    if limit is None or (zero_is_off and not limit) or not value < limit:
        return None
    return Failure(reason, value, measure, f"at least {limit:g} ({option})")


def finite(value: float) -> float:
    return value if math.isfinite(value) else math.nan


@lru_cache(maxsize=1)
def english() -> Any:
    """spaCy's blank English pipeline with the sentencizer, as datatrove builds it (once per process)."""
    require("the pretraining_quality check", "pretraining")
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    # spaCy mistakes the string IS_ALPHA for its attribute of that name when a memory zone first meets it:
    # later texts get wrong tokens, then an error (datatrove deletes the string and tries again, after
    # the harm). Known before any zone, it is a word like any other.
    nlp.tokenizer("IS_ALPHA")
    return nlp


@contextmanager
def strings_freed() -> Iterator[None]:
    """Strings spaCy learns while tokenizing are dropped afterwards, so a long run does not grow."""
    with english().memory_zone():
        yield


def _tokens(text: str, whole: bool) -> Any:
    nlp = english()
    nlp.max_length = len(text) + 10
    return nlp(text) if whole else nlp.tokenizer(text)


def words(text: str) -> list[str]:
    """datatrove's split_into_words for English: spaCy's tokens, stripped, empty ones left out."""
    return [s for s in (token.text.strip() for token in _tokens(text, False)) if s]


def sentence_count(text: str) -> int:
    """How many parts datatrove's split_into_sentences cuts `text` into (never fewer than one)."""
    return max(1, sum(1 for _ in _tokens(text, True).sents))


def sentences(text: str) -> list[str]:
    """datatrove's split_into_sentences: `text` cut at the end of each sentence spaCy finds but the last."""
    ends = [sent.end_char for sent in _tokens(text, True).sents]
    return [text[a:b] for a, b in zip([0, *ends[:-1]], [*ends[:-1], len(text)])]
