"""A release as a team runs it, offline: keys made by ssh-keygen, a run signed in CI, promoted by a release
manager, the ledger verified against the allowed-signers file in the repository, and the envelope
verified by an independent DSSE implementation (securesystemslib)."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli.test_cli import invoke
from tests.conftest import write_jsonl
from tests.release.conftest import CLEAN, CONTRACT

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is not installed")


def ssh_keygen(folder: Path, name: str) -> tuple[Path, str]:
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True)
    fingerprint = subprocess.run(["ssh-keygen", "-l", "-f", f"{key}.pub"], check=True, capture_output=True, text=True)
    return key, fingerprint.stdout.split()[1]


def test_ssh_keygen_keys_sign_a_run_a_promotion_and_verify_end_to_end(tmp_path: Path) -> None:
    (ci, ci_id), (manager, manager_id) = ssh_keygen(tmp_path, "ci"), ssh_keygen(tmp_path, "manager")
    trust = tmp_path / "allowed_signers"
    trust.write_text(f"ci@example.com namespaces=\"traingate-run\" {' '.join(ci.with_suffix('.pub').read_text().split()[:2])}\n"
                     f'release@example.com namespaces="git,traingate-release" {manager.with_suffix(".pub").read_text()}')
    (tmp_path / "c.yaml").write_text(CONTRACT)
    data = write_jsonl(tmp_path / "d.jsonl", CLEAN)
    run = tmp_path / "run.json"
    assert invoke("validate", str(tmp_path / "c.yaml"), str(data), "--json", str(run), "--key", str(ci))[0] == 0
    ledger = tmp_path / "ledger.jsonl"
    code, output = invoke("promote", str(run), "--approver", "release@example.com", "--ledger", str(ledger),
                          "--key", str(manager), "--trust", str(trust), "--note", "v2 release")
    assert code == 0 and f"signed by ci@example.com ({ci_id}), verified" in output and manager_id in output
    head = hashlib.sha256(ledger.read_bytes().rstrip(b"\n")).hexdigest()
    code, output = invoke("ledger", str(ledger), "--trust", str(trust), "--head", head)
    assert code == 0 and "signed by release@example.com" in output and output.splitlines()[-1] == f"head {head}"

    exported = tmp_path / "run.intoto.jsonl"
    assert invoke("attestation", str(run), "-o", str(exported))[0] == 0
    envelope = json.loads(exported.read_text())
    assert envelope == json.loads(run.read_text())["attestation"] and envelope["signatures"][0]["keyid"] == ci_id
    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["subject"] == [{"name": str(data), "digest": {"sha256": hashlib.sha256(data.read_bytes()).hexdigest()}}]
    predicate = statement["predicate"]
    assert (predicate["verdict"], predicate["limited"], predicate["sampled"]) == ("passed", False, False)
    assert predicate["contract"]["sha256"] == hashlib.sha256((tmp_path / "c.yaml").read_bytes()).hexdigest()
    assert [c["status"] for c in predicate["checks"]] == ["passed", "passed"]
    _verify_independently(envelope, ci.with_suffix(".pub"))
    record = json.loads(ledger.read_text())
    _verify_independently(record, manager.with_suffix(".pub"))
    promotion = json.loads(base64.b64decode(record["payload"]))
    assert promotion["subject"][0]["digest"]["sha256"] == hashlib.sha256(base64.b64decode(envelope["payload"])).hexdigest()


def _verify_independently(envelope: dict[str, object], public: Path) -> None:
    """securesystemslib's own DSSE PAE and Ed25519 verification, given the raw public key."""
    dsse = pytest.importorskip("securesystemslib.dsse")
    signer = pytest.importorskip("securesystemslib.signer")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_ssh_public_key

    raw = load_ssh_public_key(public.read_bytes()).public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    keyid = envelope["signatures"][0]["keyid"]  # type: ignore[index]
    key = signer.SSlibKey(keyid, "ed25519", "ed25519", {"public": raw})
    assert keyid in dsse.Envelope.from_dict(copy.deepcopy(envelope)).verify([key], 1)
    stranger = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    other = signer.SSlibKey(keyid, "ed25519", "ed25519", {"public": stranger})
    with pytest.raises(Exception, match="Found: 0, Expected 1"):  # the check can fail: another key does not verify it
        dsse.Envelope.from_dict(copy.deepcopy(envelope)).verify([other], 1)
