"""The in-toto Statements v1 that are signed: one for a run (its data files are the subjects), one for a
promotion (the run's statement is the subject, the previous ledger record's hash is in the predicate)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from traingate.release.dsse import canonical
from traingate.results.model import RunResult

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
RUN_PREDICATE = "https://traingate.dev/attestation/run/v1"
PROMOTION_PREDICATE = "https://traingate.dev/attestation/promotion/v1"


def _saved(run: RunResult) -> tuple[RunResult, str]:
    """The run as its JSON file holds it (NaN as null, lone surrogates as text) without the attestation,
    and the sha256 of that JSON: the same before the file is written and after it is read back."""
    from traingate.reports.json import render_json

    body = json.loads(render_json(run.model_copy(update={"attestation": None})))
    body.pop("attestation", None)
    return RunResult.model_validate(body), hashlib.sha256(canonical(body)).hexdigest()


def limits(run: RunResult) -> list[str]:
    """Why the run does not speak for the whole of its data (empty when it does)."""
    dataset = run.dataset
    found = []
    if dataset.limited_to is not None:
        found.append(f"it read only the first {dataset.limited_to:,} rows (--limit)")
    if dataset.stopped_early:
        found.append(f"reading stopped early ({dataset.stopped_early})")
    if dataset.memory_actions:
        found.append(f"checks kept a hash-chosen share of rows under --max-memory ({'; '.join(dataset.memory_actions)})")
    if dataset.errored_shards:
        found.append(f"{len(dataset.errored_shards)} shard(s) could not be read")
    return found


def run_statement(run: RunResult) -> dict[str, Any]:
    """Everything a sign-off rests on, derived from the run alone, so it can be rebuilt and compared."""
    run, digest = _saved(run)
    predicate = {
        "run_id": run.run_id, "run_sha256": digest,
        "contract": {"name": run.contract.name, "version": run.contract.version, "sha256": run.contract.sha256},
        "verdict": run.gate.verdict, "fail_on": run.gate.fail_on, "reasons": run.gate.reasons,
        "checks": [{"id": c.id, "type": c.type, "severity": c.severity, "status": c.status, "value": c.value}
                   for c in run.checks],
        "rows": run.dataset.rows, "dataset_fingerprint": run.dataset.fingerprint,
        "limited": run.dataset.limited_to is not None or bool(run.dataset.stopped_early),
        "sampled": bool(run.dataset.memory_actions), "limits": limits(run),
        "tool": {"name": "traingate", "version": run.tool_version},
        "started_at": run.started_at, "finished_at": run.finished_at,
    }
    subjects = [{"name": f.path, "digest": {"sha256": f.sha256}} for f in run.dataset.files]
    return {"_type": STATEMENT_TYPE, "subject": subjects, "predicateType": RUN_PREDICATE,
            "predicate": json.loads(canonical(predicate))}


def statement_digest(statement: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(statement)).hexdigest()


def promotion_statement(run: RunResult, *, approver: str, note: str | None, override: str | None, time: str,
                        previous: str, integrity: str) -> dict[str, Any]:
    predicate = {
        "approver": approver, "note": note, "override": override, "time": time, "previous": previous,
        "integrity": integrity, "run_id": run.run_id, "verdict": run.gate.verdict,
        "contract": {"name": run.contract.name, "version": run.contract.version, "sha256": run.contract.sha256},
        "dataset_fingerprint": run.dataset.fingerprint,
    }
    return {"_type": STATEMENT_TYPE, "predicateType": PROMOTION_PREDICATE, "predicate": predicate,
            "subject": [{"name": f"run {run.run_id}", "digest": {"sha256": statement_digest(run_statement(run))}}]}
