"""Text from the data made safe to draw or print: control characters, escape sequences, lone surrogates
and the noncharacters XML 1.0 forbids become visible escapes (\\x1b, \\ud800, \\ufffe), so one value can
neither break a chart renderer, an XML parser or a UTF-8 encoder, nor drive a terminal."""

from __future__ import annotations

import re
from typing import Any

# C0 controls, DEL, C1 controls, lone surrogates, U+FFFE/U+FFFF, and the bidirectional overrides that
# reorder what a terminal shows.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, keep: str = "") -> str:
    """`text` with every unsafe character escaped, except those in `keep` (e.g. "\\n" in a multi-line message)."""
    if not _UNSAFE.search(text):
        return text
    if not keep:
        return _UNSAFE.sub(_escaped, text)
    return _UNSAFE.sub(lambda m: m.group(0) if m.group(0) in keep else _escaped(m), text)


# Characters that hide or reorder what a terminal line shows without being controls: zero-width spaces,
# marks and joiners, line and paragraph separators, the byte-order mark, the soft hyphen.
_HIDDEN = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u2028\u2029\u2060-\u2064\ufeff]")


def printable(text: str) -> str:
    """`visible`, and every character that hides or reorders text escaped too: for a name, a note or a
    path printed on a terminal, where it must read as it is (not for data drawn in a report, where an
    emoji's zero-width joiner is part of the text)."""
    return _HIDDEN.sub(_escaped, visible(text))


def visible_all(value: Any, keep: str = "") -> Any:
    """Every string in a JSON-like structure (dict keys too) made visible."""
    if isinstance(value, str):
        return visible(value, keep)
    if isinstance(value, dict):
        return {visible_all(k, keep): visible_all(v, keep) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [visible_all(v, keep) for v in value]
    return value


def encodable(value: Any) -> Any:
    """Lone surrogates (a JSON "\\ud800" escape, a file name that is not UTF-8) as the text \\ud800, so the
    structure encodes as UTF-8; nothing else changes."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8") if _has_surrogate(value) else value
    if isinstance(value, dict):
        return {encodable(k): encodable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encodable(v) for v in value]
    return value


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
