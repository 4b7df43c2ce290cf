"""OpenSSH keys and git's allowed-signers format, read as ssh-keygen reads them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, Encoding, PrivateFormat

from tests.release.conftest import Key, make_key
from traingate.release import SigningError, load_signing_key, read_allowed_signers
from traingate.release.dsse import SignatureProblem, canonical, envelope, open_envelope, verify
from traingate.release.signers import RUN_NAMESPACE

SIGNED_AT = datetime(2026, 6, 1, tzinfo=UTC)


def trusted(tmp_path: Path, key: Key, options: str) -> str:
    """The kind of problem (or 'trusted') when the only line for `key` carries `options`."""
    allowed = tmp_path / "allowed"
    allowed.write_text(f"ana@example.com {options} {key.public_line}\n".replace("  ", " "))
    opened = open_envelope(envelope(canonical({"x": 1}), load_signing_key(key.private)))
    try:
        return "trusted by " + verify(opened, read_allowed_signers(allowed), SIGNED_AT, RUN_NAMESPACE)[0].principals
    except SignatureProblem as exc:
        return f"{exc.kind}: {exc}"


@pytest.mark.parametrize(("options", "expected"), [
    ("", "trusted by ana@example.com"),
    ('namespaces="git,traingate-*"', "trusted by ana@example.com"),
    ('namespaces="traingate-run"', "trusted by ana@example.com"),
    ('namespaces="git,traingate-release"', "limits the key to namespaces 'git,traingate-release', not 'traingate-run'"),
    ('valid-after="20260101"', "trusted by ana@example.com"),
    ('valid-after="20260531235959Z"', "trusted by ana@example.com"),
    ('valid-after="20260601000001Z"', "trusts the key only from 20260601000001Z"),
    ('valid-after="20261130Z"', "trusts the key only from 20261130Z"),  # not read as 2026-01-01 03:00
    ('valid-before="20261231Z"', "trusted by ana@example.com"),  # not read as 2026-01-02 03:01
    ('valid-before="20260501Z",namespaces="traingate-run"', "trusts the key only until 20260501Z"),
    ("cert-authority", "trusts certificates signed by the key (cert-authority)"),
])
def test_allowed_signer_options_are_honoured(tmp_path: Path, options: str, expected: str) -> None:
    result = trusted(tmp_path, make_key(tmp_path, "k"), options)
    assert expected in result and (result.startswith("trusted") == expected.startswith("trusted")), result


def test_a_key_missing_from_the_file_and_a_changed_payload_are_told_apart(tmp_path: Path) -> None:
    ana, bo = make_key(tmp_path, "ana"), make_key(tmp_path, "bo")
    allowed = tmp_path / "allowed"
    allowed.write_text(f"  # comment\n\n\"ana@example.com,ana@corp\" {ana.public_line} ana's laptop\n")
    signers = read_allowed_signers(allowed)
    assert signers[0].principals == "ana@example.com,ana@corp"
    with pytest.raises(SignatureProblem, match="which the allowed-signers file does not trust"):
        verify(open_envelope(envelope(b'{"x":1}', load_signing_key(bo.private))), signers, SIGNED_AT, RUN_NAMESPACE)
    signed = envelope(b'{"x":1}', load_signing_key(ana.private))
    signed["payload"] = "eyJ4IjoyfQ=="  # {"x":2}
    with pytest.raises(SignatureProblem, match="does not match its content") as problem:
        verify(open_envelope(signed), signers, SIGNED_AT, RUN_NAMESPACE)
    assert problem.value.kind == "bad signature"
    with pytest.raises(SignatureProblem, match="not signed"):
        verify(open_envelope(envelope(b'{"x":1}', None)), signers, SIGNED_AT, RUN_NAMESPACE)


@pytest.mark.parametrize(("text", "message"), [
    ("ana@example.com\n", "allowed:1: not an allowed-signers line"),
    ("# only a comment\n", "names no signer"),
    ("ana@example.com ssh-ed25519 not-base64!\n", "allowed:1: the ssh-ed25519 key does not read"),
    ('ana valid-after="2026" ssh-ed25519 {key}\n', "allowed:1: '2026' is not a time"),
    ('ana valid-after="20261332" ssh-ed25519 {key}\n', "allowed:1: '20261332' is not a time"),
    ('ana namspaces="git" ssh-ed25519 {key}\n', "allowed:1: unknown option 'namspaces'"),
    ('ana namespaces="git",namespaces="traingate-run" ssh-ed25519 {key}\n', "option 'namespaces' is given twice"),
    ('"ana ssh-ed25519 {key}\n', "allowed:1: a quote is not closed"),
    ('"" ssh-ed25519 {key}\n', "allowed:1: no principal names the key"),
])
def test_a_bad_allowed_signers_line_is_named_by_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    allowed = tmp_path / "allowed"
    allowed.write_text(text.replace("{key}", make_key(tmp_path, "k").public_line.split()[1]))
    with pytest.raises(SigningError, match=message):
        signers = read_allowed_signers(allowed)
        opened = open_envelope(envelope(b"{}", load_signing_key(tmp_path / "k")))
        verify(opened, signers, SIGNED_AT, RUN_NAMESPACE)


def test_keys_that_cannot_sign_say_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked"
    locked.write_bytes(Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.OpenSSH,
                                                                BestAvailableEncryption(b"pw")))
    monkeypatch.delenv("TRAINGATE_KEY_PASSPHRASE", raising=False)
    with pytest.raises(SigningError, match="protected by a passphrase: set TRAINGATE_KEY_PASSPHRASE"):
        load_signing_key(locked)
    monkeypatch.setenv("TRAINGATE_KEY_PASSPHRASE", "pw")
    assert load_signing_key(locked).keyid.startswith("SHA256:")
    rsa_key = tmp_path / "rsa"
    rsa_key.write_bytes(rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        Encoding.PEM, PrivateFormat.OpenSSH, BestAvailableEncryption(b"pw")))
    with pytest.raises(SigningError, match="only Ed25519 keys sign"):
        load_signing_key(rsa_key)
    with pytest.raises(SigningError, match="cannot read the key"):
        load_signing_key(tmp_path / "absent")


def test_a_passphrase_is_used_only_by_a_key_that_has_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = make_key(tmp_path, "plain")
    monkeypatch.setenv("TRAINGATE_KEY_PASSPHRASE", "set for another key")
    assert load_signing_key(plain.private).keyid.startswith("SHA256:")
    locked = tmp_path / "locked"
    locked.write_bytes(Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.OpenSSH,
                                                                  BestAvailableEncryption(b"right")))
    with pytest.raises(SigningError, match="the passphrase in TRAINGATE_KEY_PASSPHRASE does not open it"):
        load_signing_key(locked)


def test_a_signature_without_a_keyid_is_tried_against_every_trusted_key(tmp_path: Path) -> None:
    ana, bo = make_key(tmp_path, "ana"), make_key(tmp_path, "bo")
    allowed = tmp_path / "allowed"
    allowed.write_text(f"bo@example.com {bo.public_line}\nana@example.com valid-after=\"20260101Z\" {ana.public_line}\n")
    signed = envelope(b'{"x":1}', load_signing_key(ana.private))
    del signed["signatures"][0]["keyid"]
    naive = datetime(2026, 6, 1)  # a time without a zone is read as UTC, never a crash
    assert verify(open_envelope(signed), read_allowed_signers(allowed), naive, RUN_NAMESPACE)[0].principals == "ana@example.com"


@pytest.mark.parametrize(("options", "namespace_or_approver", "trusted"), [
    ('namespaces="*,!traingate-release"', "traingate-release", False),  # ssh's negation refuses outright
    ('namespaces="*,!traingate-release"', "traingate-run", True),
    ('namespaces="[t]raingate-run"', "traingate-run", False),  # only * and ? are wildcards, as in ssh
    ('namespaces="traingate-r?n"', "traingate-run", True),
])
def test_namespace_patterns_follow_ssh(tmp_path: Path, options: str, namespace_or_approver: str, trusted: bool) -> None:
    key = make_key(tmp_path, "k")
    allowed = tmp_path / "allowed"
    allowed.write_text(f"ana@example.com {options} {key.public_line}\n")
    opened = open_envelope(envelope(b"{}", load_signing_key(key.private)))
    try:
        verify(opened, read_allowed_signers(allowed), SIGNED_AT, namespace_or_approver)
    except SignatureProblem:
        assert not trusted
    else:
        assert trusted


def test_principal_patterns_follow_ssh_and_one_key_may_have_several_lines(tmp_path: Path) -> None:
    from traingate.release.ledger import approving

    key, wide = make_key(tmp_path, "k"), make_key(tmp_path, "wide")
    allowed = tmp_path / "allowed"
    allowed.write_text(f"ana@x {key.public_line}\nbob@x {key.public_line}\n*,!mallory@x {wide.public_line}\n")
    signers = read_allowed_signers(allowed)
    opened = open_envelope(envelope(b"{}", load_signing_key(key.private)))
    assert approving(opened, signers, SIGNED_AT, "ana@x").principals == "ana@x"
    assert approving(opened, signers, SIGNED_AT, "bob@x").principals == "bob@x"  # the second line names bob
    opened = open_envelope(envelope(b"{}", load_signing_key(wide.private)))
    assert approving(opened, signers, SIGNED_AT, "anyone@x").principals == "*,!mallory@x"
    with pytest.raises(SignatureProblem, match="names 'mallory@x' as approver"):
        approving(opened, signers, SIGNED_AT, "mallory@x")


@pytest.mark.parametrize(("line", "message"), [
    ("ana valid-before=20990101 {key}", "the value of 'valid-before' must be in double quotes"),
    ("ana namespaces=traingate-run {key}", "the value of 'namespaces' must be in double quotes"),
    ("ana , {key}", "an empty option"),
    ("ana {key}==", "its base64 is not in canonical form"),
])
def test_lines_ssh_keygen_refuses_are_refused(tmp_path: Path, line: str, message: str) -> None:
    allowed = tmp_path / "allowed"
    allowed.write_text(line.replace("{key}", make_key(tmp_path, "k").public_line) + "\n")
    with pytest.raises(SigningError, match=message):
        read_allowed_signers(allowed)
