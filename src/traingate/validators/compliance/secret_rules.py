"""Which regex matches of detect-secrets' detectors are secrets, and how much text each one covers.

detect-secrets does not trust its regexes alone: the JSON Web Token detector keeps a match only when its
parts decode (`is_formally_valid`), and its default heuristic filters drop templated, `$`-prefixed,
sequential, UUID and letterless values. The same rules apply here, plus a header with `alg` for a JWT and
a few placeholder passwords. A finding's span covers the whole secret (a JWT's signature, a key's body)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

JWT = "JSON Web Token"
PRIVATE_KEY = "Private Key"
PLACEHOLDERS = frozenset({"password", "passwd", "pass", "pwd", "secret", "changeme", "yourpassword", "mypassword",
                          "token", "apikey", "example"})
_TOKEN_CHAR = re.compile(r"[A-Za-z0-9_-]")
_JWT_TAIL = re.compile(r"[A-Za-z0-9_\-.+/=]*")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*-----")
_PEM_BODY = re.compile(r"[^\n]*(?:\r?\n[ \t]*[A-Za-z0-9+/=]{8,}[ \t]*)*")
_CUT_HEAD = re.compile(r"([A-Za-z0-9_=-]*)\.([A-Za-z0-9_=-]+)(\.[A-Za-z0-9_\-+/=]*)?")

Span = tuple[int, int]


@dataclass(frozen=True)
class Detector:
    """A named set of regexes; `verified` says whether detect-secrets' filters apply (not to your own patterns)."""

    name: str
    regexes: tuple[re.Pattern[str], ...]
    verified: bool = True

    def spans(self, text: str, complete: bool = True) -> list[Span]:
        """Spans of the secrets in `text`. `complete=False` is for excerpts, which may cut a token short:
        a JWT then counts when its header alone is valid."""
        found = []
        if self.verified and self.name == JWT and not complete and (head := _cut_jwt_head(text)) is not None:
            found.append(head)
        for regex in self.regexes:
            for match in regex.finditer(text):
                span = self._secret(text, match, complete) if self.verified else match.span()
                if span is not None:
                    found.append(span)
        return sorted(found)

    def _secret(self, text: str, match: re.Match[str], complete: bool) -> Span | None:
        if self.name == JWT:
            return _jwt(text, match, complete)
        values = [g for g in match.groups() if g] or [match.group(0)]
        if any(_filtered(value) for value in values):
            return None
        if self.name == PRIVATE_KEY:
            end = _PEM_END.search(text, match.end())
            return match.start(), end.end() if end else _PEM_BODY.match(text, match.end()).end()  # type: ignore[union-attr]
        return match.span()


def _filtered(secret: str) -> bool:
    """detect-secrets' default heuristic filters of a secret's value, and placeholder words."""
    from detect_secrets.filters import heuristic as h

    plain = re.sub(r"[\W_]", "", secret).lower()
    return (h.is_sequential_string(secret) or h.is_potential_uuid(secret) or h.is_templated_secret(secret)
            or h.is_prefixed_with_dollar_sign(secret) or h.is_not_alphanumeric_string(secret)
            or plain in PLACEHOLDERS or len(set(plain)) == 1)


def _jwt(text: str, match: re.Match[str], complete: bool) -> Span | None:
    start = match.start()
    if start > 0 and _TOKEN_CHAR.match(text[start - 1]):
        return None  # inside a word (privateKeyJwk.toPublic): no token starts there
    end = _JWT_TAIL.match(text, match.end()).end()  # type: ignore[union-attr]
    while text[start:end].count(".") > 2 and text[end - 1] == ".":
        end -= 1  # a full stop after the token, not part of it
    token = text[start:end]
    if not _header_has_alg(token.split(".")[0]):
        return None
    if complete:
        from detect_secrets.plugins.jwt import JwtTokenDetector

        if token.count(".") != 2 or not JwtTokenDetector.is_formally_valid(token):
            return None
    return start, end


def _cut_jwt_head(text: str) -> Span | None:
    """The rest of a JWT whose start an excerpt cut off: the text opens with the tail of a header and a
    whole payload (a JSON object), or with the tail of a payload (decoding to text that ends in `}`) and a
    signature. Either shows what, with a guessable header, is the token, so it is masked from the start."""
    match = _CUT_HEAD.match(text)
    if match is None:
        return None
    first, second, third = match.groups()
    if _decodes_to_object(second) or (third is None and len(second) >= 16 and _ends_json(first)):
        return match.span()
    return None


def _b64decode(part: str) -> bytes | None:
    if len(part) % 4 == 1:
        return None
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (ValueError, binascii.Error):
        return None


def _decodes_to_object(part: str) -> bool:
    raw = _b64decode(part.rstrip("="))
    try:
        return raw is not None and isinstance(json.loads(raw), dict)
    except (ValueError, UnicodeDecodeError):
        return False


def _ends_json(tail: str) -> bool:
    """Whether `tail`, the end of a base64url segment cut at an unknown place, decodes (at one of the four
    alignments) to printable text ending in `}`."""
    for skip in range(4):
        raw = _b64decode(tail[skip:].rstrip("="))
        if raw and raw.endswith(b"}"):
            try:
                if raw.decode().isprintable():
                    return True
            except UnicodeDecodeError:
                continue
    return False


def _header_has_alg(part: str) -> bool:
    try:
        header = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return False
    return isinstance(header, dict) and isinstance(header.get("alg"), str)
