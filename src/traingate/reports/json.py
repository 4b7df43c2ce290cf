"""The run result as JSON (the format `traingate report` and `diff` read back)."""

from __future__ import annotations

import json
from pathlib import Path

from traingate.results.model import RunResult


def write_json(result: RunResult, path: str | Path) -> None:
    Path(path).write_text(result.model_dump_json(indent=2), encoding="utf-8")


def read_json(path: str | Path) -> RunResult:
    return RunResult.model_validate_json(Path(path).read_text(encoding="utf-8"))


def write_evidence(result: RunResult, path: str | Path) -> None:
    """One JSON line per personal-data finding of every pii check: where (file, line, field, turn,
    character offsets), what (entity) and how sure (score); never the value itself."""
    with Path(path).open("w", encoding="utf-8") as out:
        for check in result.checks:
            for finding in check.details.get("evidence", []) if check.type == "pii" else []:
                out.write(json.dumps({"check": check.id, **finding}, ensure_ascii=False) + "\n")
