"""Keys people already have: an OpenSSH Ed25519 private key signs (`ssh-keygen -t ed25519`, the kind that
signs git commits); its id is the fingerprint `ssh-keygen -l` prints."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_ssh_private_key,
)

from traingate.errors import TraingateError

PASSPHRASE_VARIABLE = "TRAINGATE_KEY_PASSPHRASE"


class SigningError(TraingateError):
    """A key or an allowed-signers file cannot be used (exit 3)."""


def fingerprint(blob: bytes) -> str:
    """A key's fingerprint as `ssh-keygen -l` prints it: SHA256: and the unpadded base64 of its key blob."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def key_id(public: Ed25519PublicKey) -> str:
    return fingerprint(base64.b64decode(public.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).split()[1]))


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
    private = _private_key(path, data)
    if not isinstance(private, Ed25519PrivateKey):
        kind = {"RSA": "an RSA", "EllipticCurve": "an ECDSA", "DSA": "a DSA"}.get(
            type(private).__name__.removeprefix("_").removesuffix("PrivateKey"), "a non-Ed25519")
        raise SigningError(f"{path} is {kind} key; only Ed25519 keys sign (`ssh-keygen -t ed25519`)")
    return SigningKey(private, key_id(private.public_key()))


def _private_key(path: Path, data: bytes) -> object:
    """The key in `data`; a passphrase from $TRAINGATE_KEY_PASSPHRASE is used only when the key has one."""
    passphrase = os.environ.get(PASSPHRASE_VARIABLE)
    try:
        try:
            return load_ssh_private_key(data, None)
        except TypeError:  # encrypted
            if not passphrase:
                raise SigningError(f"{path} is protected by a passphrase: set {PASSPHRASE_VARIABLE}, or use a key "
                                   "made for CI without one") from None
            try:
                return load_ssh_private_key(data, passphrase.encode())
            except ValueError:
                raise SigningError(f"{path}: the passphrase in {PASSPHRASE_VARIABLE} does not open it") from None
    except UnsupportedAlgorithm as exc:
        raise SigningError(f"{path} cannot be read here ({exc}): pip install bcrypt, which reads keys "
                           "protected by a passphrase") from None
    except ValueError as exc:
        raise SigningError(f"{path} is not an OpenSSH private key ({exc}); make one with "
                           "`ssh-keygen -t ed25519 -f KEY`") from None


