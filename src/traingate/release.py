"""Release sign-off: a run is promoted into an append-only ledger, one JSON line per record, each
record carrying the sha256 of the one before it, so a record edited afterwards breaks the chain."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from traingate.errors import TraingateError
from traingate.reports.files import write_text
from traingate.results.model import RunResult

GENESIS = "0" * 64


class PromotionRefused(TraingateError):
    """The run may not be promoted as it stands."""


@dataclass(frozen=True)
class LedgerCheck:
    records: int
    broken_at: int | None  # 1-based line of the first record whose chain does not hold
    reason: str = ""


def record_hash(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class LedgerError(TraingateError):
    """The ledger cannot be read: a line that is not a record (truncated, edited by hand)."""


def read_ledger(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            record = json.loads(line) if line.strip() else {}
        except ValueError as exc:
            raise LedgerError(f"{path}:{number}: not a ledger record ({exc}); the ledger is damaged") from None
        if not isinstance(record, dict):
            raise LedgerError(f"{path}:{number}: not a ledger record (a JSON {type(record).__name__}); the ledger is damaged")
        if record:
            records.append(record)
    return records


def verify_ledger(path: Path) -> LedgerCheck:
    records = read_ledger(path)
    previous = GENESIS
    for number, record in enumerate(records, start=1):
        if record.get("previous") != previous:
            return LedgerCheck(len(records), number, "does not follow the record before it")
        if record.get("hash") != record_hash(record):
            return LedgerCheck(len(records), number, "was changed after it was written")
        previous = record["hash"]
    return LedgerCheck(len(records), None)


def current_fingerprint(run: RunResult) -> list[str]:
    """Files of the run whose bytes are no longer those the run read ('missing' when gone), found by the
    absolute path the run stored, so promote may run from any directory."""
    from traingate.engine.runner import sha256_file
    from traingate.engine.sources import describe

    changed = []
    for info in run.dataset.files:
        path = info.absolute_path or info.path  # runs saved before absolute_path: relative to the current directory
        if not os.path.exists(path) and "://" not in path:
            changed.append(f"{path} (missing)")
        elif sha256_file(describe(path, info.split)) != info.sha256:
            changed.append(path)
    return changed


def promote(run: RunResult, ledger: Path, approver: str, note: str | None = None,
            override: str | None = None) -> dict[str, Any]:
    """Append a sign-off record for the run; refuse a failed gate without an override, and a dataset
    whose files changed since the run."""
    if run.gate.verdict in ("failed", "errored") and not override:
        raise PromotionRefused(f"run {run.run_id} did not pass its gate ({run.gate.verdict}: "
                               f"{'; '.join(run.gate.reasons[:3])}); promote it only with --override \"reason\"")
    changed = current_fingerprint(run)
    if changed:
        raise PromotionRefused(f"the dataset changed since run {run.run_id}: {', '.join(changed[:5])}; run it again")
    check = verify_ledger(ledger)
    if check.broken_at is not None:
        raise PromotionRefused(f"{ledger}: record {check.broken_at} {check.reason}; the ledger cannot be extended")
    records = read_ledger(ledger)
    record: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(), "approver": approver, "note": note, "override": override,
        "run_id": run.run_id, "verdict": run.gate.verdict, "dataset_fingerprint": run.dataset.fingerprint,
        "contract": run.contract.name, "contract_version": run.contract.version, "contract_sha256": run.contract.sha256,
        "previous": records[-1]["hash"] if records else GENESIS,
    }
    record["hash"] = record_hash(record)
    _append(ledger, record)
    return record


def _append(ledger: Path, record: dict[str, Any]) -> None:
    """Write the whole ledger plus the record to a temporary file, then rename it over the ledger: a
    crash leaves either the old ledger or the new one, never half a line."""
    old = ledger.read_text(encoding="utf-8") if ledger.exists() else ""
    if old and not old.endswith("\n"):
        old += "\n"
    write_text(ledger, old + json.dumps(record, ensure_ascii=False) + "\n")
