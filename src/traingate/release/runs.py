"""Signed runs: `validate --key` puts a DSSE envelope of the run's statement into the run's JSON, and a
promotion checks it against an allowed-signers file before it believes anything the run says."""

from __future__ import annotations

import os
import stat
from datetime import datetime
from typing import Any

from traingate.errors import TraingateError
from traingate.release.dsse import SignatureProblem, canonical, envelope, open_envelope, verify
from traingate.release.keys import SigningKey
from traingate.release.signers import RUN_NAMESPACE, Signer
from traingate.release.statements import run_statement
from traingate.results.model import RunResult


class PromotionRefused(TraingateError):
    """The run may not be promoted as it stands (exit 1)."""

    exit_code = 1


def sign_run(run: RunResult, key: SigningKey) -> RunResult:
    """The run with its statement signed by `key` in `attestation`."""
    return run.model_copy(update={"attestation": envelope(canonical(run_statement(run)), key)})


def check_integrity(run: RunResult, trust: list[Signer] | None) -> str:
    """Verified: signed by a trusted key and unchanged since. Without `trust`, a signed run is still
    compared with its statement (an edit is refused), but the signature itself is not verified. Returns
    what is known of the run's integrity, for the terminal and the ledger record."""
    name = f"run {run.run_id}"
    if run.attestation is None:
        if trust is not None:
            raise PromotionRefused(f"{name} is not signed; sign it with `validate --key KEY --json RUN.json`")
        return "the run's integrity was not verified (unsigned; pass --trust to require a signature)"
    try:
        opened = open_envelope(run.attestation)
    except SignatureProblem as exc:
        raise PromotionRefused(f"{name}: its attestation is damaged: {exc}") from None
    changed = _difference(opened.statement, run_statement(run))
    if changed:
        raise PromotionRefused(f"{name} no longer matches its signed statement ({changed}); it was edited "
                               "after validate signed it")
    if trust is None:
        return "the run's integrity was not verified (no --trust): its signature was not checked"
    try:
        signer = verify(opened, trust, _signed_at(opened.statement), RUN_NAMESPACE)[0]
    except SignatureProblem as exc:
        raise PromotionRefused(f"{name}: {exc}") from None
    return f"signed by {signer.principals} ({signer.keyid}), verified"


def _signed_at(statement: dict[str, Any]) -> datetime:
    predicate = statement.get("predicate")
    try:
        return datetime.fromisoformat(str(predicate.get("finished_at") if isinstance(predicate, dict) else None))
    except ValueError:
        raise PromotionRefused("the run's signed statement has no finish time") from None


def _difference(signed: dict[str, Any], now: dict[str, Any]) -> str:
    """What differs between the signed statement and the one the run gives now ('' when nothing)."""
    if canonical(signed) == canonical(now):
        return ""
    before, after = signed.get("predicate") or {}, now.get("predicate") or {}
    named = [f"{key} signed as {_short(before.get(key))}, now {_short(after.get(key))}"
             for key in ("verdict", "limited", "sampled", "rows", "contract") if before.get(key) != after.get(key)]
    if canonical(signed.get("subject")) != canonical(now.get("subject")):
        named.append("the data files or their sha256")
    if not named and before.get("checks") != after.get("checks"):
        named.append("check statuses or values")
    return "; ".join(named[:3]) or "its content"


def _short(value: Any) -> str:
    text = str(canonical(value).decode())
    return text if len(text) <= 60 else text[:57] + "..."


def changed_data(run: RunResult) -> list[str]:
    """What differs from the data the run read: files whose bytes changed or that are gone (found by the
    absolute path the run stored, so promote may run from any directory), files that the run's inputs
    (a folder, a glob) hold now and did not then or no longer hold, and files the checks read besides
    the data (eval sets, reference texts)."""
    from traingate.data.sources import resolve_all
    from traingate.errors import SourceError

    sides = [(f.path, f.sha256) for f in run.contract.side_files if f.sha256 is not None]
    changed = _changed([(i.absolute_path or i.path, i.sha256) for i in run.dataset.files] + sides)
    local = [item for item in run.dataset.inputs or [] if "://" not in item]
    if changed or not local:
        return changed
    try:
        now = {f.path for f in resolve_all(local, None, None, tuple(run.dataset.exclude))[0]}
    except SourceError as exc:
        return [f"the inputs cannot be listed again ({exc})"]
    before = {info.absolute_path or info.path for info in run.dataset.files}
    return [f"{p} (added)" for p in sorted(now - before)] + [f"{p} (no longer listed)" for p in sorted(before - now)
                                                              if "://" not in p]


def _changed(files: list[tuple[str, str]]) -> list[str]:
    """Paths whose bytes are not the sha256 given: missing, not a regular file (never read: a FIFO or a
    device would not end), or different."""
    from traingate.data.sources import describe
    from traingate.engine.runner import sha256_file

    changed = []
    for path, digest in files:
        if "://" not in path:
            try:
                regular = stat.S_ISREG(os.stat(path).st_mode)
            except OSError:
                changed.append(f"{path} (missing)")
                continue
            if not regular:
                changed.append(f"{path} (not a regular file)")
                continue
        if sha256_file(describe(path, "all")) != digest:
            changed.append(path)
    return changed


def inconsistent_verdict(run: RunResult) -> str | None:
    """A verdict the run's own checks contradict (a failed run edited to passed without a signature)."""
    if run.gate.verdict not in ("passed", "warned"):
        return None
    blocking = [c.id for c in run.checks if c.status == "errored" or (c.status == "failed" and (
        c.severity == "error" or (run.gate.fail_on == "warn" and c.severity == "warn")))]
    if not blocking:
        return None
    return (f"run {run.run_id} says {run.gate.verdict}, but its checks {', '.join(blocking[:3])} did not pass; "
            "the file was edited")
