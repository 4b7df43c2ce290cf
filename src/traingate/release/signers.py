"""Whose signatures count: an allowed-signers file in git's format (`man ssh-keygen`, ALLOWED SIGNERS),
`principals [options] key-type base64-key [comment]`, read as ssh-keygen reads it. A line that ssh-keygen
would refuse (an unknown or repeated option, an open quote, no principal) is an error naming the line.
Options: `namespaces=` (runs are signed in the namespace traingate-run, promotions in traingate-release;
a key limited to other namespaces is not trusted for them), `valid-after=`/`valid-before=` (against the
time the signature states) and `cert-authority` (trusts certificates, which are not read here, never the
key itself). Only Ed25519 keys can have signed; other key types are kept, and never match."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_ssh_public_key

from traingate.release.keys import SigningError, fingerprint

RUN_NAMESPACE = "traingate-run"
RELEASE_NAMESPACE = "traingate-release"
OPTIONS = ("cert-authority", "namespaces", "valid-after", "valid-before")
_TOKEN = re.compile(r'(?:"[^"]*"|[^\s"])+')
_OPTION = re.compile(r'(?:"[^"]*"|[^,"])+')
_TIME = re.compile(r"(\d{8}(?:\d{4}(?:\d{2})?)?)([Zz]?)")


@dataclass(frozen=True)
class Signer:
    """One line of an allowed-signers file."""

    principals: str
    keyid: str
    public: Ed25519PublicKey | None  # None: a key type that cannot have signed (not Ed25519)
    options: dict[str, str]
    where: str  # file:line

    def refusal(self, signed_at: datetime, namespace: str) -> str | None:
        """Why this line does not trust a signature made at `signed_at` in `namespace`; None when it does."""
        if "cert-authority" in self.options:
            return f"{self.where} trusts certificates signed by the key (cert-authority), not the key itself"
        namespaces = self.options.get("namespaces")
        if namespaces is not None and not matches_list(namespace, namespaces):
            return f"{self.where} limits the key to namespaces {namespaces!r}, not {namespace!r}"
        at = signed_at if signed_at.tzinfo else signed_at.replace(tzinfo=UTC)
        after, before = self.options.get("valid-after"), self.options.get("valid-before")
        if after is not None and at < ssh_time(after, self.where):
            return f"{self.where} trusts the key only from {after}; the signature says {at.isoformat()}"
        if before is not None and at >= ssh_time(before, self.where):
            return f"{self.where} trusts the key only until {before}; the signature says {at.isoformat()}"
        return None

    def names(self, approver: str) -> bool:
        """Whether `approver` is one of this line's principals (patterns, comma-separated)."""
        return matches_list(approver, self.principals)


def matches_list(value: str, patterns: str) -> bool:
    """ssh's match_pattern_list: comma-separated patterns with `*` and `?`; a `!pattern` that matches
    refuses outright, otherwise any plain pattern that matches accepts."""
    accepted = False
    for pattern in patterns.split(","):
        negated = pattern.startswith("!")
        expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern[negated:])
        if re.fullmatch(expression, value, re.DOTALL):
            if negated:
                return False
            accepted = True
    return accepted


def ssh_time(text: str, where: str) -> datetime:
    """YYYYMMDD[HHMM[SS]][Z]: UTC with the Z, local time without, as ssh-keygen reads it."""
    match = _TIME.fullmatch(text)
    if match is None:
        raise SigningError(f"{where}: {text!r} is not a time (YYYYMMDD[HHMM[SS]][Z])")
    digits = match.group(1).ljust(14, "0")
    try:
        moment = datetime.strptime(digits, "%Y%m%d%H%M%S")
    except ValueError:
        raise SigningError(f"{where}: {text!r} is not a time (YYYYMMDD[HHMM[SS]][Z])") from None
    return moment.replace(tzinfo=UTC) if match.group(2) else moment.astimezone()


def read_allowed_signers(path: Path) -> list[Signer]:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SigningError(f"cannot read the allowed-signers file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    signers = [_signer(line.strip(), f"{path}:{number}") for number, line in enumerate(lines, start=1)
               if line.strip() and not line.lstrip().startswith("#")]
    if not signers:
        raise SigningError(f"{path} names no signer; add lines `principal ssh-ed25519 AAAA...`")
    for signer in signers:  # every time option reads, before any signature depends on one
        for name in ("valid-after", "valid-before"):
            if name in signer.options:
                ssh_time(signer.options[name], signer.where)
    return signers


def _signer(line: str, where: str) -> Signer:
    if line.count('"') % 2:
        raise SigningError(f"{where}: a quote is not closed")
    tokens = _TOKEN.findall(line)
    options: dict[str, str] = {}
    if len(tokens) >= 3 and not _is_key_type(tokens[1]):
        options = _options(tokens[1], where)
        tokens = [tokens[0], *tokens[2:]]
    if len(tokens) < 3 or not _is_key_type(tokens[1]):
        raise SigningError(f"{where}: not an allowed-signers line; write `principal [options] ssh-ed25519 AAAA...`")
    principals = tokens[0].strip('"')
    if not principals.strip():
        raise SigningError(f"{where}: no principal names the key")
    try:
        public = load_ssh_public_key(f"{tokens[1]} {tokens[2]}".encode())
        blob = base64.b64decode(tokens[2], validate=True)
        if base64.b64encode(blob).decode() != tokens[2]:
            raise ValueError("its base64 is not in canonical form")
    except (ValueError, TypeError) as exc:  # binascii.Error is a ValueError
        raise SigningError(f"{where}: the {tokens[1]} key does not read ({exc})") from None
    return Signer(principals, fingerprint(blob), public if isinstance(public, Ed25519PublicKey) else None, options, where)


def _options(text: str, where: str) -> dict[str, str]:
    options: dict[str, str] = {}
    if ",".join(_OPTION.findall(text)) != text:
        raise SigningError(f"{where}: an empty option (a stray comma?)")
    for option in _OPTION.findall(text):
        name, _, value = option.partition("=")
        name = name.strip().lower()
        if not name:
            raise SigningError(f"{where}: an empty option (a stray comma?)")
        if name not in OPTIONS:
            raise SigningError(f"{where}: unknown option {name!r} (ssh-keygen knows {', '.join(OPTIONS)})")
        if name in options:
            raise SigningError(f"{where}: option {name!r} is given twice")
        if name != "cert-authority" and not (len(value) >= 2 and value[0] == value[-1] == '"'):
            raise SigningError(f'{where}: the value of {name!r} must be in double quotes ({name}="...")')
        options[name] = value[1:-1] if name != "cert-authority" else ""
    return options


def _is_key_type(token: str) -> bool:
    return token.startswith(("ssh-", "ecdsa-", "sk-"))
