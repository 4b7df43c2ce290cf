"""An excerpt of a text, as masking needs it: each cut at a limit marked with CUT (`window`), the word a cut
split dropped with the digit groups beside it once the excerpt is masked (`trim_cuts`: a recognizer cannot tell
what a piece of an e-mail, a key or a phone number was), and a span marked in the excerpt followed into its
masked form (`moved_span`)."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

CUT = "…"
# at a cut: the split word, then any whitespace-separated groups of digits (+, -, ., parentheses) beside it
_HEAD = re.compile(r"^…\S*(?:\s+[-+.()\d]+(?=\s|$))*")
_TAIL = re.compile(r"(?:(?<=\s)[-+.()\d]+\s+)*\S*…$")
_MARKER_HEAD, _MARKER_TAIL = re.compile(r"^…<[^<>]*>"), re.compile(r"<[^<>]*>…$")


def window(text: str, start: int, stop: int) -> str:
    """text[start:stop], with CUT where it cuts the text (so masking can see the cut)."""
    start, stop = max(0, start), min(len(text), stop)
    return (CUT if start > 0 else "") + text[start:stop] + (CUT if stop < len(text) else "")


def trim_cuts(text: str) -> str:
    """The excerpt without the word split at each marked cut (nor the digit groups beside it); a cut
    that the masker already turned into its <name> stays."""
    if text.startswith(CUT) and not _MARKER_HEAD.match(text):
        text = CUT + text[_HEAD.match(text).end():]  # type: ignore[union-attr]  # the pattern always matches
    if text.endswith(CUT) and len(text) > 1 and not _MARKER_TAIL.search(text):
        found = _TAIL.search(text)
        text = text[: found.start() if found else len(text) - 1] + CUT
    return text


def moved_span(old: str, new: str, span: Any) -> tuple[int, int] | None:
    """Where the span marked in `old` lies in `new` (the excerpt masked, its cut words trimmed): positions in
    text both keep move with it; a position inside a part masking replaced goes to that part's start (the
    span's start) or end (its end), so a masked finding stays marked as its <ENTITY>."""
    if span is None:
        return None
    ops = SequenceMatcher(None, old, new, autojunk=False).get_opcodes()

    def at(pos: int, end: bool) -> int:
        for tag, i1, i2, j1, j2 in ops:
            if i1 <= pos < i2 or (end and i1 < pos <= i2):
                return j1 + (pos - i1) if tag == "equal" else (j2 if end else j1)
        return len(new)
    start = at(int(span[0]), False)
    return start, max(start, at(int(span[1]), True))
