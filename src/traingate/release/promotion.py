"""Promotion: a run that passes every refusal below becomes a signed record at the ledger's head."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from traingate.release.dsse import canonical, envelope
from traingate.release.keys import Signer, SigningKey
from traingate.release.ledger import GENESIS, LedgerCheck, LedgerError, append, locked, verify_ledger
from traingate.release.runs import PromotionRefused, check_integrity, current_fingerprint, inconsistent_verdict
from traingate.release.statements import limits, promotion_statement
from traingate.results.model import RunResult


@dataclass(frozen=True)
class Promotion:
    run_id: str
    verdict: str
    head: str  # the ledger's new head: the sha256 of the record's line
    integrity: str
    signed_by: str | None  # the key id the record was signed with


def refusals(run: RunResult, override: str | None, trust: list[Signer] | None) -> str:
    """Raise PromotionRefused for a run that may not be promoted; return what is known of its integrity."""
    integrity = check_integrity(run, trust)
    partial = limits(run)
    if partial:
        raise PromotionRefused(f"run {run.run_id} does not speak for all of its data: {'; '.join(partial)}; "
                               "run validate over the whole dataset and promote that run")
    contradiction = inconsistent_verdict(run)
    if contradiction:
        raise PromotionRefused(contradiction)
    if run.gate.verdict in ("failed", "errored") and not override:
        raise PromotionRefused(f"run {run.run_id} did not pass its gate ({run.gate.verdict}: "
                               f"{'; '.join(run.gate.reasons[:3])}); promote it only with --override \"reason\"")
    changed = current_fingerprint(run)
    if changed:
        raise PromotionRefused(f"the dataset changed since run {run.run_id}: {', '.join(changed[:5])}; run it again")
    return integrity.message


def promote(run: RunResult, ledger: Path, approver: str, *, note: str | None = None, override: str | None = None,
            key: SigningKey | None = None, trust: list[Signer] | None = None) -> Promotion:
    """Append a record for the run, signed with `key` when given; refuse what `refusals` refuses, and a
    ledger that does not verify (LedgerError)."""
    integrity = refusals(run, override, trust)
    with locked(ledger):
        check = verify_ledger(ledger) if ledger.exists() else LedgerCheck()
        if not check.intact and check.kind != "empty":
            raise LedgerError(f"{ledger}:{check.bad_line}: {check.kind}: {check.reason}; the ledger cannot be "
                              "extended until it is restored")
        statement = promotion_statement(run, approver=approver, note=note, override=override,
                                        time=datetime.now(UTC).isoformat(), previous=check.head or GENESIS,
                                        integrity=integrity)
        head = append(ledger, envelope(canonical(statement), key))
    return Promotion(run.run_id, run.gate.verdict, head, integrity, key.keyid if key else None)
