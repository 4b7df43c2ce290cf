"""DSSE envelopes (github.com/secure-systems-lab/dsse), the wrapping cosign and the in-toto tools read:
{"payload": base64, "payloadType": ..., "signatures": [{"keyid", "sig"}]}, each signature an Ed25519
signature over PAE(payloadType, payload) = "DSSEv1 <len> <type> <len> <payload>"."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from traingate.release.keys import SigningKey
from traingate.release.signers import Signer

PAYLOAD_TYPE = "application/vnd.in-toto+json"


class SignatureProblem(Exception):
    """Why an envelope is not trusted; `kind` is unsigned, untrusted key, bad signature or corrupt."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def pae(payload_type: str, payload: bytes) -> bytes:
    kind = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def canonical(value: Any) -> bytes:
    """The one serialisation signed and hashed: sorted keys, no spaces, ASCII only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def envelope(payload: bytes, key: SigningKey | None) -> dict[str, Any]:
    """The envelope of `payload`, signed with `key` (no signature without one)."""
    signatures = [] if key is None else [
        {"keyid": key.keyid, "sig": base64.b64encode(key.private.sign(pae(PAYLOAD_TYPE, payload))).decode()}]
    return {"payload": base64.b64encode(payload).decode(), "payloadType": PAYLOAD_TYPE, "signatures": signatures}


@dataclass(frozen=True)
class Opened:
    payload: bytes
    statement: dict[str, Any]
    signatures: list[dict[str, str]]


def open_envelope(value: Any) -> Opened:
    """The envelope's parts, its payload decoded as a JSON statement; SignatureProblem('corrupt') otherwise."""
    if not isinstance(value, dict) or value.get("payloadType") != PAYLOAD_TYPE:
        raise SignatureProblem("corrupt", f"not a DSSE envelope with payloadType {PAYLOAD_TYPE}")
    signatures = value.get("signatures")
    if not isinstance(signatures, list) or not all(
            isinstance(s, dict) and isinstance(s.get("sig"), str) and isinstance(s.get("keyid", ""), str)
            for s in signatures):
        raise SignatureProblem("corrupt", "the envelope's signatures are not a list of {keyid, sig}")
    try:
        payload = base64.b64decode(str(value.get("payload")), validate=True)
        statement = json.loads(payload)
    except (binascii.Error, ValueError, RecursionError) as exc:
        raise SignatureProblem("corrupt", f"the envelope's payload does not decode ({exc})") from None
    if not isinstance(statement, dict):
        raise SignatureProblem("corrupt", "the envelope's payload is not a JSON object")
    return Opened(payload, statement, signatures)


def verify(opened: Opened, signers: list[Signer], signed_at: datetime, namespace: str) -> list[Signer]:
    """Every allowed-signers line that trusts a signature on the envelope (one key may be listed for
    several principals), or SignatureProblem saying why none does. A signature's keyid is a hint (DSSE):
    one that names no trusted key is tried against every one."""
    if not opened.signatures:
        raise SignatureProblem("unsigned", "it is not signed")
    reasons: list[SignatureProblem] = []
    for signature in opened.signatures:
        keyid = signature.get("keyid", "")
        named = [s for s in signers if s.keyid == keyid and s.public is not None]
        holding = [s for s in named or signers if s.public is not None and _holds(s.public, signature, opened.payload)]
        if not holding:
            reasons.append(SignatureProblem("bad signature", f"its signature by {keyid} does not match its content "
                                                             "(changed after signing, or forged)") if named else
                           SignatureProblem("untrusted key", f"it is signed by {keyid or 'a key without id'}, which "
                                                             "the allowed-signers file does not trust"))
            continue
        holders = [s for s in signers if s.public is not None and s.keyid == holding[0].keyid]
        refusals = [s.refusal(signed_at, namespace) for s in holders]
        trusting = [s for s, refusal in zip(holders, refusals) if refusal is None]
        if trusting:
            return trusting
        reasons.append(SignatureProblem("untrusted key", f"{holding[0].keyid} is not trusted for it: {refusals[0]}"))
    bad = [r for r in reasons if r.kind == "bad signature"]
    raise (bad or reasons)[0]


def _holds(public: Ed25519PublicKey, signature: dict[str, str], payload: bytes) -> bool:
    try:
        public.verify(base64.b64decode(signature["sig"], validate=True), pae(PAYLOAD_TYPE, payload))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
