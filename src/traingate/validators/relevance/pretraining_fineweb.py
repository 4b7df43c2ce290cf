"""FineWeb's own rules (Penedo et al. 2024), as datatrove's FineWebQualityFilter applies them: lines ending
in terminal punctuation, short lines, characters in duplicate lines, and newlines per word."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import Field

from traingate.contracts.model import StrictModel
from traingate.validators.relevance.pretraining_repetition import find_duplicates
from traingate.validators.relevance.pretraining_words import TERMINAL_PUNCTUATION, Failure, over, under


class FineWeb(StrictModel):
    """Thresholds of `fineweb` (datatrove's FineWebQualityFilter parameters)."""

    line_punct_thr: float = Field(0.12, description="Fewest lines ending in terminal punctuation, as a share.")
    line_punct_exclude_zero: bool = Field(False, description="A text with no such line passes that rule.")
    stop_chars: list[str] | None = Field(None, description="Line endings counted as terminal punctuation; "
                                         "null: datatrove's TERMINAL_PUNCTUATION (159 marks of many scripts).")
    short_line_thr: float = Field(0.67, description="Most short lines, as a share.")
    short_line_length: int = Field(30, description="A line of at most this many characters is short.")
    char_duplicates_ratio: float = Field(0.01, description="Most characters in duplicate lines, as a share of "
                                         "the characters other than newlines.")
    new_line_ratio: float = Field(0.3, description="Most newlines per word.")


def fineweb(text: str, words: Callable[[], list[str]], o: FineWeb) -> list[Failure]:
    """Every FineWeb rule `text` breaks, in datatrove's order (its first is datatrove's reason)."""
    lines = [line for line in text.split("\n") if line.strip() != ""]
    if not lines:
        return [Failure("fineweb.empty", 0.0, "lines", "a line that is not blank")]
    stops = tuple(o.stop_chars) if o.stop_chars is not None else tuple(TERMINAL_PUNCTUATION)
    punct = sum(1 for line in lines if line.endswith(stops)) / len(lines)
    found = [] if punct == 0 and o.line_punct_exclude_zero else [
        under("fineweb.line_punct_ratio", punct, o.line_punct_thr, "line_punct_thr", zero_is_off=False)]
    short = sum(1 for line in lines if len(line) <= o.short_line_length) / len(lines)
    found.append(over("fineweb.short_line_ratio", short, o.short_line_thr, "short_line_thr", zero_is_off=False))
    dups = find_duplicates(lines)[1] / len(text.replace("\n", ""))
    found.append(over("fineweb.char_dup_ratio", dups, o.char_duplicates_ratio, "char_duplicates_ratio", zero_is_off=False))
    tokens = words()
    if tokens:  # a text with a line that is not blank has a word
        found.append(over("fineweb.list_ratio", text.count("\n") / len(tokens), o.new_line_ratio, "new_line_ratio",
                          zero_is_off=False))
    return [f for f in found if f is not None]
