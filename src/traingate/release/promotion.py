"""Promotion: a run that passes every refusal below becomes a signed record at the ledger's head."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from traingate.errors import TraingateError, UsageError
from traingate.release.dsse import SignatureProblem, canonical, envelope, open_envelope
from traingate.release.keys import SigningKey
from traingate.release.ledger import LedgerCheck, LedgerError, append, approving, locked, verify_ledger
from traingate.release.runs import PromotionRefused, changed_data, check_integrity, inconsistent_verdict
from traingate.release.signers import Signer
from traingate.release.statements import limits, promotion_statement
from traingate.results.model import RunResult


@dataclass(frozen=True)
class Promotion:
    run_id: str
    verdict: str
    head: str  # the ledger's new head: the sha256 of the record's line
    integrity: str
    signed_by: str | None  # the key id the record was signed with


def refusals(run: RunResult, override: str | None, trust: list[Signer] | None, contract: Path | None = None) -> str:
    """Raise PromotionRefused for a run that may not be promoted; return what is known of its integrity."""
    integrity = check_integrity(run, trust)
    partial = limits(run)
    if partial:
        raise PromotionRefused(f"run {run.run_id} does not speak for all of its data: {'; '.join(partial)}; "
                               "run validate over the whole dataset and promote that run")
    contradiction = inconsistent_verdict(run)
    if contradiction:
        raise PromotionRefused(contradiction)
    if contract is not None:
        _same_contract(run, contract)
    if run.gate.verdict in ("failed", "errored") and not override:
        raise PromotionRefused(f"run {run.run_id} did not pass its gate ({run.gate.verdict}: "
                               f"{'; '.join(run.gate.reasons[:3])}); promote it only with --override \"reason\"")
    changed = changed_data(run)
    if changed:
        raise PromotionRefused(f"the dataset changed since run {run.run_id}: {', '.join(changed[:5])}; run it again")
    return integrity


def _same_contract(run: RunResult, contract: Path) -> None:
    """The run must be of this contract file, judged with its own gate (no --fail-on that loosens it)."""
    from traingate.contracts import load_contract

    try:
        digest = hashlib.sha256(contract.read_bytes()).hexdigest()
    except OSError as exc:
        raise TraingateError(f"cannot read the contract {contract}: {exc.strerror or exc}") from None
    if digest != run.contract.sha256:
        raise PromotionRefused(f"run {run.run_id} checked contract {run.contract.name} {run.contract.version} "
                               f"(sha256 {run.contract.sha256[:16]}...), not {contract}; run validate with it")
    fail_on = load_contract(contract).gate.fail_on
    if run.gate.fail_on != fail_on:
        raise PromotionRefused(f"run {run.run_id} was judged with --fail-on {run.gate.fail_on}, but {contract}'s "
                               f"gate fails on {fail_on}; run validate without --fail-on")


def promote(run: RunResult, ledger: Path, approver: str, *, note: str | None = None, override: str | None = None,
            key: SigningKey | None = None, trust: list[Signer] | None = None, contract: Path | None = None) -> Promotion:
    """Append a record for the run, signed with `key` when given. Refuses what `refusals` refuses, and, with
    `trust`, a key not trusted to sign promotions for `approver`. A ledger that does not verify (with
    `trust`, its signatures too) is a LedgerError. A symbolic link is followed to the ledger it names."""
    if trust is not None and key is None:
        raise UsageError("a ledger verified with --trust takes only signed records: add --key KEY")
    if not approver.strip():
        raise UsageError("--approver is empty: name who signs the release off")
    integrity = refusals(run, override, trust, contract)
    ledger = ledger.resolve()
    if ledger.name.endswith(".lock"):
        raise LedgerError(f"{ledger} is a ledger's lock file, not a ledger")
    with locked(ledger):
        check = verify_ledger(ledger, trust) if ledger.exists() else LedgerCheck()
        if not check.intact and check.kind == "empty":
            raise LedgerError(f"{ledger} holds no record: was it truncated? Restore it, or remove the empty file "
                              "to start a new ledger")
        if not check.intact:
            raise LedgerError(f"{ledger}:{check.bad_line}: {check.kind}: {check.reason}; the ledger cannot be "
                              "extended until it is restored")
        time = datetime.now(UTC)  # taken under the lock, so records are in time order
        if check.records and time < check.records[-1].time:
            raise LedgerError(f"this machine's clock ({time.isoformat()}) is behind the ledger's last record "
                              f"({check.records[-1].time.isoformat()}); set the clock right and promote again")
        statement = promotion_statement(run, approver=approver, note=note, override=override, time=time.isoformat(),
                                        previous=check.head, integrity=integrity)
        record = envelope(canonical(statement), key)
        if key is not None and trust is not None:
            try:
                approving(open_envelope(record), trust, time, approver)
            except SignatureProblem as exc:
                raise PromotionRefused(f"--key cannot sign this promotion: {exc}") from None
        head = append(ledger, record)
    return Promotion(run.run_id, run.gate.verdict, head, integrity, key.keyid if key else None)
