"""Keys people already have: an OpenSSH Ed25519 private key signs (`ssh-keygen -t ed25519`), and an
allowed-signers file in git's format (`principals [options] key-type base64-key [comment]`) says whose
signatures count. Options are honoured as ssh-keygen does: `namespaces=` (a key limited to other
namespaces, e.g. only "git", is not trusted here), `valid-after=`/`valid-before=` (against the signed time)
and `cert-authority` (trusts certificates, which are not supported, so never a plain key)."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_ssh_private_key,
    load_ssh_public_key,
)

from traingate.errors import TraingateError

NAMESPACE = "traingate"
PASSPHRASE_VARIABLE = "TRAINGATE_KEY_PASSPHRASE"
_TOKEN = re.compile(r'(?:"[^"]*"|[^\s"])+')
_OPTION = re.compile(r'(?:"[^"]*"|[^,"])+')


class SigningError(TraingateError):
    """A key or an allowed-signers file cannot be used (exit 3)."""


def key_id(public: Ed25519PublicKey) -> str:
    """The key's fingerprint as `ssh-keygen -l` prints it: SHA256: and the unpadded base64 of the key blob."""
    blob = base64.b64decode(public.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    keyid: str


def load_signing_key(path: Path) -> SigningKey:
    """An OpenSSH Ed25519 private key; a passphrase comes from $TRAINGATE_KEY_PASSPHRASE."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError(f"cannot read the key {path}: {exc.strerror or exc}") from None
    if data.startswith(b"ssh-") or data.startswith(b"ecdsa-"):
        raise SigningError(f"{path} is a public key; --key takes the private key (the file without .pub)")
    passphrase = os.environ.get(PASSPHRASE_VARIABLE)
    try:
        private = load_ssh_private_key(data, passphrase.encode() if passphrase else None)
    except TypeError:
        raise SigningError(f"{path} is protected by a passphrase: set {PASSPHRASE_VARIABLE}, or use a key made "
                        "for CI without one") from None
    except UnsupportedAlgorithm as exc:
        raise SigningError(f"{path} cannot be read here ({exc}): pip install bcrypt, which reads keys "
                           "protected by a passphrase") from None
    except ValueError as exc:
        raise SigningError(f"{path} is not an OpenSSH private key ({exc}); make one with "
                        "`ssh-keygen -t ed25519 -f KEY`") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise SigningError(f"{path} is a {type(private).__name__.removesuffix('PrivateKey') or 'non-Ed25519'} key; "
                        "only Ed25519 keys sign (`ssh-keygen -t ed25519`)")
    return SigningKey(private, key_id(private.public_key()))


@dataclass(frozen=True)
class Signer:
    """One line of an allowed-signers file."""

    principals: str
    keyid: str
    public: Ed25519PublicKey | None  # None: a key type that cannot have signed (not Ed25519)
    options: dict[str, str]
    where: str  # file:line

    def refusal(self, signed_at: datetime) -> str | None:
        """Why this line does not trust a signature made at `signed_at`, or None when it does."""
        if "cert-authority" in self.options:
            return f"{self.where} trusts certificates signed by the key (cert-authority), not the key itself"
        namespaces = self.options.get("namespaces")
        if namespaces is not None and not any(fnmatch(NAMESPACE, p) for p in namespaces.split(",")):
            return f"{self.where} limits the key to namespaces {namespaces!r}, not {NAMESPACE!r}"
        after, before = self.options.get("valid-after"), self.options.get("valid-before")
        if after is not None and signed_at < _ssh_time(after, self.where):
            return f"{self.where} trusts the key only from {after}; the signature is from {signed_at.isoformat()}"
        if before is not None and signed_at >= _ssh_time(before, self.where):
            return f"{self.where} trusts the key only until {before}; the signature is from {signed_at.isoformat()}"
        return None


def _ssh_time(text: str, where: str) -> datetime:
    """YYYYMMDD[HHMM[SS]][Z]: UTC with the Z, local time without, as ssh-keygen reads it."""
    digits, utc = text.removesuffix("Z").removesuffix("z"), text[-1:] in ("Z", "z")
    for pattern in ("%Y%m%d%H%M%S", "%Y%m%d%H%M", "%Y%m%d"):
        try:
            moment = datetime.strptime(digits, pattern)
        except ValueError:
            continue
        return moment.replace(tzinfo=UTC) if utc else moment.astimezone()
    raise SigningError(f"{where}: {text!r} is not a time (YYYYMMDD[HHMM[SS]][Z])")


def read_allowed_signers(path: Path) -> list[Signer]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SigningError(f"cannot read the allowed-signers file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    signers = [_signer(line, f"{path}:{number}") for number, line in enumerate(lines, start=1)
               if line.strip() and not line.lstrip().startswith("#")]
    if not signers:
        raise SigningError(f"{path} names no signer; add lines `principal ssh-ed25519 AAAA...`")
    return signers


def _signer(line: str, where: str) -> Signer:
    tokens = _TOKEN.findall(line)
    options: dict[str, str] = {}
    if len(tokens) >= 3 and not _is_key_type(tokens[1]):
        for option in _OPTION.findall(tokens[1]):
            name, _, value = option.partition("=")
            options[name.strip().lower()] = value.strip().strip('"')
        tokens = [tokens[0], *tokens[2:]]
    if len(tokens) < 3 or not _is_key_type(tokens[1]):
        raise SigningError(f"{where}: not an allowed-signers line; write `principal [options] ssh-ed25519 AAAA...`")
    try:
        public = load_ssh_public_key(f"{tokens[1]} {tokens[2]}".encode())
        blob = base64.b64decode(tokens[2], validate=True)
    except (ValueError, TypeError) as exc:  # binascii.Error is a ValueError
        raise SigningError(f"{where}: the {tokens[1]} key does not read ({exc})") from None
    keyid = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return Signer(tokens[0].strip('"'), keyid, public if isinstance(public, Ed25519PublicKey) else None, options, where)


def _is_key_type(token: str) -> bool:
    return token.startswith(("ssh-", "ecdsa-", "sk-"))
