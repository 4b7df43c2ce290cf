"""Attacks on the ledger: forged, rewritten, truncated, corrupt, missing, raced, and an approver that
tries to drive the terminal. Each asserts the exit code and the message."""

from __future__ import annotations

import base64
import hashlib
import json
import multiprocessing
import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import invoke
from tests.release.conftest import Setup
from traingate.release import load_signing_key, promote, verify_ledger
from traingate.release.dsse import canonical, envelope
from traingate.reports.json import read_json


def signed_ledger(saved: Path, setup: Setup, folder: Path, records: int = 3) -> Path:
    ledger = folder / "ledger.jsonl"
    for number in range(records):
        code, output = invoke("promote", str(saved), "--approver", f"rm{number}", "--ledger", str(ledger),
                              "--key", str(setup.manager.private), "--trust", str(setup.trust))
        assert code == 0, output
    return ledger


def check(ledger: Path, setup: Setup, *extra: str) -> tuple[int, str]:
    return invoke("ledger", str(ledger), "--trust", str(setup.trust), *extra)


def head_of(ledger: Path) -> str:
    return hashlib.sha256(ledger.read_bytes().rstrip(b"\n").split(b"\n")[-1]).hexdigest()


def test_an_intact_signed_ledger_verifies_and_ends_with_its_head(signed_run: tuple[Path, Setup], tmp_path: Path) -> None:
    saved, setup = signed_run
    ledger = signed_ledger(saved, setup, tmp_path)
    code, output = check(ledger, setup, "--head", head_of(ledger))
    assert code == 0, output
    assert "3 record(s), chain intact; every signature trusted by" in output
    assert output.count("record signed by release@example.com") == 3
    assert output.count("run: signed by ci@example.com") == 3 and json.loads(saved.read_text())["run_id"] in output
    assert output.rstrip("\n").splitlines()[-1] == f"head {head_of(ledger)}"


def test_a_forged_record_is_caught_by_trust_and_by_the_head(signed_run: tuple[Path, Setup], tmp_path: Path) -> None:
    saved, setup = signed_run
    ledger = signed_ledger(saved, setup, tmp_path)
    pinned = head_of(ledger)
    promote(read_json(saved), ledger, "mallory")  # unsigned, correctly linked: the chain alone cannot tell
    assert invoke("ledger", str(ledger))[0] == 0
    code, output = check(ledger, setup)
    assert code == 1 and "record 4" in output and "unsigned: it is not signed" in output
    code, output = invoke("ledger", str(ledger), "--head", pinned)
    assert code == 1 and "the chain goes on for 1 record(s) after the pinned head" in output
    promote(read_json(saved), tmp_path / "other.jsonl", "mallory", key=load_signing_key(setup.mallory.private))
    code, output = check(tmp_path / "other.jsonl", setup)
    assert code == 1 and "record 1" in output and "untrusted key" in output


def _rewrite(ledger: Path, first: dict[str, Any], key: Any) -> None:
    """Rewrite record 1 with `first` as its predicate and re-link every later record, signed with `key`."""
    lines, out, previous = ledger.read_text().splitlines(), [], "0" * 64
    for number, line in enumerate(lines):
        statement = json.loads(base64.b64decode(json.loads(line)["payload"]))
        statement["predicate"] = {**statement["predicate"], **(first if number == 0 else {}), "previous": previous}
        record = canonical(envelope(canonical(statement), key)).decode()
        out.append(record)
        previous = hashlib.sha256(record.encode()).hexdigest()
    ledger.write_text("\n".join(out) + "\n")


def test_rewritten_history_is_caught(signed_run: tuple[Path, Setup], tmp_path: Path) -> None:
    saved, setup = signed_run
    ledger = signed_ledger(saved, setup, tmp_path)
    original = ledger.read_text()
    _rewrite(ledger, {"approver": "mallory"}, load_signing_key(setup.mallory.private))
    assert invoke("ledger", str(ledger))[0] == 0  # re-linked: the chain alone holds
    code, output = check(ledger, setup)
    assert code == 1 and "record 1" in output and "untrusted key" in output
    ledger.write_text(original)  # an edit that keeps the trusted signature: the signature no longer matches
    lines = original.splitlines()
    envelope_1 = json.loads(lines[0])
    statement = json.loads(base64.b64decode(envelope_1["payload"]))
    statement["predicate"]["approver"] = "mallory"
    envelope_1["payload"] = base64.b64encode(canonical(statement)).decode()
    ledger.write_text("\n".join([json.dumps(envelope_1), *lines[1:]]) + "\n")
    code, output = check(ledger, setup)
    assert code == 1 and "record 1" in output and "bad signature" in output


def test_a_dropped_last_record_is_caught_by_the_head(signed_run: tuple[Path, Setup], tmp_path: Path) -> None:
    saved, setup = signed_run
    ledger = signed_ledger(saved, setup, tmp_path)
    pinned = head_of(ledger)
    ledger.write_text("".join(ledger.read_text().splitlines(keepends=True)[:-1]))
    assert check(ledger, setup)[0] == 0  # what is left verifies
    code, output = check(ledger, setup, "--head", pinned)
    assert code == 1 and f"the pinned head {pinned[:16]}... is not in the chain" in output
    assert not any(line.startswith("head ") for line in output.splitlines())  # no head is vouched for


def test_missing_empty_and_corrupt_ledgers(signed_run: tuple[Path, Setup], tmp_path: Path) -> None:
    saved, setup = signed_run
    code, output = invoke("ledger", str(tmp_path / "none.jsonl"))
    assert code == 3 and "no ledger at" in output
    (tmp_path / "empty.jsonl").write_text("")
    code, output = invoke("ledger", str(tmp_path / "empty.jsonl"))
    assert code == 1 and "holds no record" in output
    ledger = signed_ledger(saved, setup, tmp_path)
    ledger.write_text(ledger.read_text() + '{"payload": "eyJf\n')
    code, output = check(ledger, setup)
    assert code == 1 and "record 4" in output and "corrupt line" in output
    kept = ledger.read_bytes()
    code, output = invoke("promote", str(saved), "--approver", "a", "--ledger", str(ledger))
    assert code == 3 and "cannot be extended" in output and ledger.read_bytes() == kept


def test_an_approver_cannot_drive_the_terminal(signed_run: tuple[Path, Setup], tmp_path: Path) -> None:
    saved, _ = signed_run
    ledger, approver = tmp_path / "l.jsonl", "\x1b[2J\x1b]0;owned\x07root\rmallory\u202e\u200f\ufeff"
    code, output = invoke("promote", str(saved), "--approver", approver, "--ledger", str(ledger), "--note", "\x1b[31mx")
    assert code == 0 and "\x1b" not in output and "\x07" not in output and "\\x1b[2J" in output
    code, output = invoke("ledger", str(ledger))
    assert code == 0 and "\x1b" not in output and "\r" not in output and "\\x1b]0;owned\\x07root\\x0dmallory" in output
    assert "\u202e" not in output and "\u200f" not in output and "\ufeff" not in output and "\\u202e\\u200f\\ufeff" in output


def _promote_at_once(saved: str, ledger: str, key: str, barrier: Any, name: str) -> None:
    """In a forked child: promote as soon as the other side of the pair is ready. Writing the record is
    slowed by 50 ms, so without the lock both would read the same head and one record would be lost."""
    import traingate.release.promotion as module

    write = module.append
    module.append = lambda *args: (time.sleep(0.05), write(*args))[1]
    run, signer = read_json(saved), load_signing_key(Path(key))
    barrier.wait()
    promote(run, Path(ledger), name, key=signer)


@pytest.mark.slow  # over 2 s: out of the quick loop
def test_twenty_concurrent_pairs_keep_all_forty_records(signed_run: tuple[Path, Setup], tmp_path: Path) -> None:
    saved, setup = signed_run
    ledger, context = tmp_path / "raced.jsonl", multiprocessing.get_context("fork")
    for pair in range(20):
        barrier = context.Barrier(2)
        workers = [context.Process(target=_promote_at_once, args=(str(saved), str(ledger), str(setup.manager.private),
                                                                   barrier, f"rm{pair}-{side}")) for side in (0, 1)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        assert [w.exitcode for w in workers] == [0, 0]
    result = verify_ledger(ledger, trust=None)
    assert result.intact and len(result.records) == 40
    assert sorted(r.predicate["approver"] for r in result.records) == sorted(f"rm{p}-{s}" for p in range(20) for s in (0, 1))
    code, output = check(ledger, setup)
    assert code == 0 and "40 record(s), chain intact" in output


@pytest.mark.parametrize("head", ["", "0" * 64])
def test_head_must_be_the_full_hash_of_the_last_record(signed_run: tuple[Path, Setup], tmp_path: Path, head: str) -> None:
    saved, setup = signed_run
    ledger = signed_ledger(saved, setup, tmp_path, records=1)
    code, output = check(ledger, setup, "--head", head)
    assert code == 1 and "is not in the chain" in output


def test_a_crlf_ledger_and_a_symlinked_ledger_are_extended_not_broken_or_replaced(
        signed_run: tuple[Path, Setup], tmp_path: Path) -> None:
    saved, setup = signed_run
    ledger = signed_ledger(saved, setup, tmp_path, records=2)
    ledger.write_bytes(ledger.read_bytes().replace(b"\n", b"\r\n"))  # as a checkout with autocrlf leaves it
    signed_ledger(saved, setup, tmp_path, records=1)
    code, output = check(ledger, setup)
    assert code == 0 and "3 record(s), chain intact" in output and ledger.read_bytes().count(b"\r\n") == 2
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "elsewhere" / "ledger.jsonl"
    link.symlink_to(ledger)
    assert invoke("promote", str(saved), "--approver", "rm9", "--ledger", str(link), "--key", str(setup.manager.private),
                  "--trust", str(setup.trust))[0] == 0
    assert link.is_symlink() and check(ledger, setup)[1].count("record signed by") == 4


def test_promote_under_trust_will_not_extend_a_ledger_holding_a_forged_record(
        signed_run: tuple[Path, Setup], tmp_path: Path) -> None:
    saved, setup = signed_run
    ledger = signed_ledger(saved, setup, tmp_path, records=1)
    promote(read_json(saved), ledger, "rm-forged", key=load_signing_key(setup.mallory.private))
    kept = ledger.read_bytes()
    code, output = invoke("promote", str(saved), "--approver", "rm1", "--ledger", str(ledger),
                          "--key", str(setup.manager.private), "--trust", str(setup.trust))
    assert code == 3 and ":2: untrusted key" in output and "cannot be extended" in output and ledger.read_bytes() == kept


def test_each_key_signs_only_its_role_and_only_for_its_own_principal(signed_run: tuple[Path, Setup], tmp_path: Path) -> None:
    saved, setup = signed_run
    ledger = tmp_path / "roles.jsonl"
    base = ("promote", str(saved), "--ledger", str(ledger), "--trust", str(setup.trust))
    code, output = invoke(*base, "--approver", "ci@example.com", "--key", str(setup.ci.private))
    assert code == 1 and "limits the key to namespaces 'traingate-run', not 'traingate-release'" in output
    code, output = invoke(*base, "--approver", "ana@example.com", "--key", str(setup.manager.private))
    assert code == 1 and "names 'ana@example.com' as approver, but is signed by the key of release@example.com" in output
    assert not ledger.exists()
    promote(read_json(saved), ledger, "ana@example.com", key=load_signing_key(setup.manager.private))  # no trust given
    code, output = check(ledger, setup)
    assert code == 1 and "record 1" in output and "wrong approver" in output


def test_a_record_dated_before_the_one_before_it_is_out_of_order(signed_run: tuple[Path, Setup], tmp_path: Path) -> None:
    saved, setup = signed_run
    ledger = signed_ledger(saved, setup, tmp_path, records=2)
    lines = ledger.read_text().splitlines()
    statement = json.loads(base64.b64decode(json.loads(lines[1])["payload"]))
    statement["predicate"]["time"] = "2020-01-01T00:00:00+00:00"  # backdated, re-signed by the right key
    lines[1] = canonical(envelope(canonical(statement), load_signing_key(setup.manager.private))).decode()
    ledger.write_text("\n".join(lines) + "\n")
    code, output = check(ledger, setup)
    assert code == 1 and "record 2" in output and "out of order" in output


def test_a_deeply_nested_line_is_a_corrupt_line_not_a_crash(signed_run: tuple[Path, Setup], tmp_path: Path) -> None:
    saved, setup = signed_run
    ledger = signed_ledger(saved, setup, tmp_path, records=1)
    ledger.write_text(ledger.read_text() + "[" * 100_000 + "\n")
    code, output = check(ledger, setup)
    assert code == 1 and "record 2" in output and "corrupt line" in output and "Traceback" not in output


def test_an_emptied_or_special_ledger_is_not_extended_and_a_shared_one_keeps_its_mode_and_links(
        signed_run: tuple[Path, Setup], tmp_path: Path) -> None:
    saved, setup = signed_run
    base = ("promote", str(saved), "--approver", "rm1", "--key", str(setup.manager.private), "--trust", str(setup.trust))
    (tmp_path / "emptied.jsonl").write_text("")
    code, output = invoke(*base, "--ledger", str(tmp_path / "emptied.jsonl"))
    assert code == 3 and "holds no record: was it truncated?" in output
    os.mkfifo(tmp_path / "fifo.jsonl")
    code, output = invoke("ledger", str(tmp_path / "fifo.jsonl"))
    assert code == 3 and "not a regular file" in output
    shared = signed_ledger(saved, setup, tmp_path, records=1)
    shared.chmod(0o664)
    os.link(shared, tmp_path / "hard-link.jsonl")
    assert invoke(*base, "--ledger", str(shared))[0] == 0
    assert stat.S_IMODE(shared.stat().st_mode) == 0o664
    assert (tmp_path / "hard-link.jsonl").read_bytes() == shared.read_bytes() and shared.read_text().count("\n") == 2


def test_a_refusal_escapes_invisible_characters_from_the_run(signed_run: tuple[Path, Setup], tmp_path: Path) -> None:
    saved, _ = signed_run
    body = json.loads(saved.read_text())
    body.update(run_id="run\u202e\u200fgnp.exe", attestation=None)
    body["gate"].update(verdict="failed")
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(body))
    code, output = invoke("promote", str(edited), "--approver", "a", "--ledger", str(tmp_path / "l.jsonl"))
    assert code == 1 and "\u202e" not in output and "\u200f" not in output and "run\\u202e\\u200fgnp.exe" in output
