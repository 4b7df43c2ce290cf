"""The run result as JSON (the format `traingate report` and `diff` read back)."""

from __future__ import annotations

import json
from pathlib import Path

from traingate.reports.files import atomic_writer, write_text
from traingate.reports.sanitize import encodable
from traingate.results.model import RunResult


def render_json(result: RunResult) -> str:
    """The run as JSON; a lone surrogate from the data (a "\\ud800" escape in a JSON row, a file name that
    is not UTF-8) is kept as the text \\ud800 rather than failing the write."""
    try:
        return result.model_dump_json(indent=2)
    except ValueError:
        return json.dumps(encodable(result.model_dump(mode="json")), indent=2, ensure_ascii=False)


def write_json(result: RunResult, path: str | Path) -> None:
    write_text(path, render_json(result))


def read_json(path: str | Path) -> RunResult:
    return RunResult.model_validate_json(Path(path).read_text(encoding="utf-8"))


def write_evidence(result: RunResult, path: str | Path) -> None:
    """One JSON line per personal-data finding of every pii check: where (file, line, field, turn,
    character offsets), what (entity) and how sure (score); never the value itself."""
    from traingate.contracts.registry import details_model  # the checks' models: loaded only to write evidence
    from traingate.validators.compliance.pii import PiiDetails

    with atomic_writer(path) as out:
        for check in result.checks:
            details = details_model(check)
            for finding in details.evidence if isinstance(details, PiiDetails) else []:
                out.write(json.dumps(encodable({"check": check.id, **finding.dump()}), ensure_ascii=False) + "\n")
