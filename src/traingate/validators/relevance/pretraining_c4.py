"""C4's rules (Raffel et al. 2020), as datatrove's C4QualityFilter applies them. That filter also rewrites a
document it keeps, dropping lines (no terminal punctuation, fewer than 3 words, a word over 1,000 characters,
'javascript', cookie and terms-of-use lines); traingate only judges: a document fails when the filter
would drop it whole, because 'lorem ipsum' or a curly bracket is in a line it keeps so far, or because the
lines it keeps hold fewer than 5 sentences. The lines themselves are never removed."""

from __future__ import annotations

import re

from pydantic import Field

from traingate.contracts.model import StrictModel
from traingate.validators.relevance.pretraining_words import Failure, sentence_count, sentences, under

CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
END_PUNCTUATION = (".", "?", "!", '"', "'")
POLICY = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")


class C4(StrictModel):
    """Options of `c4` (datatrove's C4QualityFilter parameters; -1 turns a number off)."""

    split_paragraph: bool = Field(True, description="Lines are the text's lines; false: its sentences.")
    remove_citations: bool = Field(True, description="Take '[1]', '[edit]', '[citation needed]' out of lines.")
    filter_no_terminal_punct: bool = Field(True, description="Drop lines not ending in . ? ! \" ' (or ending in '...').")
    min_num_sentences: int = Field(5, description="Fewest sentences in the lines kept.")
    min_words_per_line: int = Field(3, description="Drop lines with fewer words (split on whitespace).")
    max_word_length: int = Field(1000, description="Drop lines with a longer word.")
    filter_lorem_ipsum: bool = Field(True, description="Fail a document with 'lorem ipsum' in a line kept so far.")
    filter_javascript: bool = Field(True, description="Drop lines mentioning 'javascript'.")
    filter_curly_bracket: bool = Field(True, description="Fail a document with '{' in a line kept so far.")
    filter_policy: bool = Field(True, description="Drop lines about cookies, terms of use or privacy policy.")


def _kept(line: str, o: C4) -> tuple[str | None, str | None]:
    """The line as kept (None when dropped) and the whole-document rule it breaks, if any."""
    line = line.strip()
    words = line.split()
    if o.max_word_length != -1 and any(len(word) > o.max_word_length for word in words):
        return None, None
    if o.remove_citations:
        line = CITATION.sub("", line)
    if o.filter_no_terminal_punct and (not line.endswith(END_PUNCTUATION) or line.endswith("...")):
        return None, None
    if len(words) < o.min_words_per_line:
        return None, None
    lower = line.lower()
    if o.filter_lorem_ipsum and "lorem ipsum" in lower:
        return None, "lorem_ipsum"
    if o.filter_javascript and "javascript" in lower:
        return None, None
    if o.filter_curly_bracket and "{" in line:
        return None, "curly_bracket"
    if o.filter_policy and any(p in lower for p in POLICY):
        return None, None
    return line, None


def c4(text: str, o: C4) -> list[Failure]:
    """The rule `text` breaks: the first whole-document rule met (datatrove stops there), else too few
    sentences in the lines kept."""
    lines = text.splitlines() if o.split_paragraph else sentences(text)
    count = 0
    for number, line in enumerate(lines, 1):
        kept, broken = _kept(line, o)
        if broken is not None:
            return [Failure(f"c4.{broken}", number, "line", f"none (filter_{broken})")]
        if kept is not None and o.min_num_sentences != -1:
            count += sentence_count(kept) if o.split_paragraph else 1
    return _few(count, o)


def _few(count: int, o: C4) -> list[Failure]:
    found = under("c4.too_few_sentences", count, o.min_num_sentences, "min_num_sentences", "sentences",
                  zero_is_off=False)
    return [found] if found is not None else []
