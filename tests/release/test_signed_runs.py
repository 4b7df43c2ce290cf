"""Attacks on a run before it is promoted: edited, re-signed, stripped, limited, sampled, its data changed.
Each asserts the exit code and the message."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import invoke
from tests.conftest import write_jsonl
from tests.release.conftest import CLEAN, CONTRACT, Setup, copied
from traingate.release import PromotionRefused, load_signing_key, sign_run
from traingate.release.promotion import refusals
from traingate.reports.json import read_json, write_json


def promote(run: Path, setup: Setup, *extra: str) -> tuple[int, str]:
    """Promote as the release manager; under --trust the record is signed with the manager's key."""
    signing = ("--key", str(setup.manager.private)) if "--trust" in extra else ()
    return invoke("promote", str(run), "--approver", "rm-ana", "--ledger", str(setup.folder / "ledger.jsonl"),
                  *signing, *extra)


def passed(body: dict[str, Any]) -> None:
    """What an editor changes to make a failed run read as passed, consistently."""
    body["gate"].update(verdict="passed", exit_code=0, reasons=[])
    for check in body["checks"]:
        check.update(status="passed", findings=0)


def test_a_failed_run_edited_to_passed_is_refused_with_and_without_trust(setup: Setup) -> None:
    code, failed = setup.validate("dupes", CLEAN + CLEAN[:5], key=setup.ci)
    assert code == 1
    edited = copied(failed, setup.folder, passed)
    for extra in ((), ("--trust", str(setup.trust))):
        code, output = promote(edited, setup, *extra)
        assert code == 1, output
        assert "no longer matches its signed statement" in output and 'verdict signed as "failed", now "passed"' in output
    assert not (setup.folder / "ledger.jsonl").exists()


def test_an_edited_run_with_its_signature_removed_or_replaced_is_refused_under_trust(setup: Setup) -> None:
    _, failed = setup.validate("dupes", CLEAN + CLEAN[:5], key=setup.ci)
    stripped = copied(failed, setup.folder, lambda body: (passed(body), body.update(attestation=None)))
    code, output = promote(stripped, setup, "--trust", str(setup.trust))
    assert code == 1 and "is not signed" in output
    resigned = setup.folder / "resigned.json"
    write_json(sign_run(read_json(stripped), load_signing_key(setup.mallory.private)), resigned)
    code, output = promote(resigned, setup, "--trust", str(setup.trust))
    assert code == 1 and "which the allowed-signers file does not trust" in output
    code, output = promote(stripped, setup)  # without --trust nothing proves it: promoted, and said so
    assert code == 0 and "integrity was not verified" in output


def test_a_forged_signature_is_refused(signed_run: tuple[Path, Setup], tmp_path: Path) -> None:
    saved, setup = signed_run

    def forge(body: dict[str, Any]) -> None:
        signature = body["attestation"]["signatures"][0]
        signature["sig"] = signature["sig"][:10] + ("A" if signature["sig"][10] != "A" else "B") + signature["sig"][11:]

    code, output = promote(copied(saved, tmp_path, forge), setup, "--trust", str(setup.trust))
    assert code == 1 and "does not match its content" in output


def test_a_verdict_its_own_checks_contradict_is_refused_without_a_signature(setup: Setup) -> None:
    _, failed = setup.validate("dupes", CLEAN + CLEAN[:5])
    edited = copied(failed, setup.folder, lambda body: body["gate"].update(verdict="passed", exit_code=0))
    code, output = promote(edited, setup)
    assert code == 1 and "says passed, but its checks uniqueness.exact_duplicates did not pass" in output


def test_a_limited_run_is_refused_even_when_signed_and_passing(setup: Setup) -> None:
    code, limited = setup.validate("limited", CLEAN + CLEAN[:5], "--limit", "10", key=setup.ci)
    assert code == 0  # the first 10 rows hold no duplicate: the gate passed on what it read
    for extra in ((), ("--trust", str(setup.trust))):
        code, output = promote(limited, setup, *extra)
        assert code == 1 and "read only the first 10 rows (--limit)" in output
    assert not (setup.folder / "ledger.jsonl").exists()


def test_a_sampled_run_is_refused(signed_run: tuple[Path, Setup]) -> None:
    saved, _ = signed_run
    run = read_json(saved)
    sampled = run.model_copy(update={"attestation": None, "dataset": run.dataset.model_copy(
        update={"memory_actions": ["near_duplicates kept 1/4 of rows"]})})
    with pytest.raises(PromotionRefused, match="kept a hash-chosen share of rows under --max-memory"):
        refusals(sampled, None, None)


def test_a_run_over_changed_data_is_refused_under_trust(setup: Setup) -> None:
    _, saved = setup.validate("good", CLEAN, key=setup.ci)
    write_jsonl(setup.folder / "good.jsonl", CLEAN[:-1])
    code, output = promote(saved, setup, "--trust", str(setup.trust))
    assert code == 1 and "the dataset changed since run" in output and "good.jsonl" in output


def test_a_failed_run_needs_an_override_which_the_record_keeps(setup: Setup) -> None:
    _, failed = setup.validate("dupes", CLEAN + CLEAN[:5], key=setup.ci)
    code, output = promote(failed, setup, "--trust", str(setup.trust))
    assert code == 1 and "did not pass its gate" in output
    code, output = promote(failed, setup, "--trust", str(setup.trust), "--override", "dupes are known")
    assert code == 0 and "signed by ci@example.com" in output
    record = json.loads((setup.folder / "ledger.jsonl").read_text())
    assert json.loads(base64.b64decode(record["payload"]))["predicate"]["override"] == "dupes are known"


def test_unusable_keys_and_trust_files_are_errors_before_anything_is_written(setup: Setup) -> None:
    _, saved = setup.validate("good", CLEAN, key=setup.ci)
    public = setup.folder / "ci.pub"
    public.write_text(setup.ci.public_line + "\n")
    cases = [(("--trust", str(setup.folder / "none")), 3, "cannot read the allowed-signers file"),
             (("--key", str(public)), 3, "is a public key; --key takes the private key"),
             (("--key", str(setup.folder / "c.yaml")), 3, "is not an OpenSSH private key")]
    for extra, expected, message in cases:
        code, output = promote(saved, setup, *extra)
        assert (code, message in " ".join(output.split())) == (expected, True), output
    code, output = invoke("validate", str(setup.folder / "c.yaml"), str(setup.folder / "good.jsonl"),
                          "--key", str(setup.ci.private))
    assert code == 2 and "--json" in output
    assert not (setup.folder / "ledger.jsonl").exists()


def test_a_file_added_to_a_folder_the_run_read_is_refused(setup: Setup) -> None:
    folder = setup.folder / "data"
    folder.mkdir()
    write_jsonl(folder / "a.jsonl", CLEAN)
    (setup.folder / "c.yaml").write_text(CONTRACT)
    saved = setup.folder / "folder.json"
    assert invoke("validate", str(setup.folder / "c.yaml"), str(folder), "--json", str(saved),
                  "--key", str(setup.ci.private))[0] == 0
    write_jsonl(folder / "b.jsonl", [{"prompt": "", "response": ""}] * 50)  # the gate would fail on it now
    code, output = promote(saved, setup, "--trust", str(setup.trust))
    assert code == 1 and "the dataset changed since run" in output and "b.jsonl (added)" in output
    (folder / "b.jsonl").unlink()
    assert promote(saved, setup, "--trust", str(setup.trust))[0] == 0


def test_a_run_of_another_contract_or_signed_by_a_release_key_is_refused(signed_run: tuple[Path, Setup],
                                                                       tmp_path: Path) -> None:
    saved, setup = signed_run
    looser = tmp_path / "looser.yaml"
    looser.write_text(CONTRACT.replace("max_rate: 0.1", "max_rate: 0.5"))
    code, output = promote(copied(saved, tmp_path), setup, "--contract", str(looser))
    assert code == 1 and "checked contract signed 2.0.0" in output and "not " + str(looser) in output
    code, output = promote(copied(saved, tmp_path), setup, "--contract", str(setup.folder / "c.yaml"))
    assert code == 0, output
    by_manager = tmp_path / "by-manager.json"
    write_json(sign_run(read_json(saved), load_signing_key(setup.manager.private)), by_manager)
    code, output = promote(by_manager, setup, "--trust", str(setup.trust))
    assert code == 1 and "limits the key to namespaces 'git,traingate-release', not 'traingate-run'" in output


def test_trust_without_a_key_and_an_empty_approver_are_usage_errors(signed_run: tuple[Path, Setup]) -> None:
    saved, setup = signed_run
    ledger = setup.folder / "usage.jsonl"
    code, output = invoke("promote", str(saved), "--approver", "rm-ana", "--trust", str(setup.trust), "--ledger", str(ledger))
    assert code == 2 and "add --key KEY" in output
    code, output = invoke("promote", str(saved), "--approver", " ", "--ledger", str(ledger))
    assert code == 2 and "--approver is empty" in output and not ledger.exists()


def test_a_path_exclusion_is_applied_again_when_the_folder_is_listed_again(setup: Setup,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    (setup.folder / "e" / "skip").mkdir(parents=True)
    write_jsonl(setup.folder / "e" / "a.jsonl", CLEAN)
    write_jsonl(setup.folder / "e" / "skip" / "b.jsonl", [{"prompt": "", "response": ""}])
    (setup.folder / "c.yaml").write_text(CONTRACT)
    monkeypatch.chdir(setup.folder)
    assert invoke("validate", "c.yaml", "e", "--exclude", "e/skip/*", "--json", "e.json", "--key",
                  str(setup.ci.private))[0] == 0
    monkeypatch.chdir("/")
    code, output = promote(setup.folder / "e.json", setup, "--trust", str(setup.trust))
    assert code == 0, output


def test_a_looser_gate_and_a_changed_eval_set_are_refused(setup: Setup) -> None:
    (setup.folder / "c.yaml").write_text(CONTRACT + "gate: {fail_on: warn}\n")
    saved = setup.folder / "loose.json"
    write_jsonl(setup.folder / "d.jsonl", CLEAN)
    invoke("validate", str(setup.folder / "c.yaml"), str(setup.folder / "d.jsonl"), "--fail-on", "error",
           "--json", str(saved))
    code, output = promote(saved, setup, "--contract", str(setup.folder / "c.yaml"))
    assert code == 1 and "judged with --fail-on error" in output and "gate fails on warn" in output
    write_jsonl(setup.folder / "eval.jsonl", [{"question": "a question nobody asked about the deep blue sea today"}])
    (setup.folder / "c.yaml").write_text(CONTRACT + "    - {type: contamination, against: [{path: eval.jsonl}], max_count: 0}\n")
    saved = setup.folder / "eval-run.json"
    assert invoke("validate", str(setup.folder / "c.yaml"), str(setup.folder / "d.jsonl"), "--json", str(saved))[0] == 0
    write_jsonl(setup.folder / "eval.jsonl", [{"question": "Question 3 about the sea? Answer 3: the sea is deep."}])
    code, output = promote(saved, setup)
    assert code == 1 and "eval.jsonl" in output and "the dataset changed since run" in output


def test_a_fifo_in_place_of_a_data_file_is_refused_without_reading_it(setup: Setup) -> None:
    _, saved = setup.validate("good", CLEAN)
    (setup.folder / "good.jsonl").unlink()
    os.mkfifo(setup.folder / "good.jsonl")
    code, output = promote(saved, setup)
    assert code == 1 and "good.jsonl (not a regular file)" in output


def test_an_edited_run_exports_no_attestation(signed_run: tuple[Path, Setup], tmp_path: Path) -> None:
    saved, _ = signed_run
    edited = copied(saved, tmp_path, lambda body: body["dataset"].update(rows=1))
    code, output = invoke("attestation", str(edited), "-o", str(tmp_path / "out.jsonl"))
    assert code == 3 and "no longer matches its signed statement" in output and not (tmp_path / "out.jsonl").exists()
