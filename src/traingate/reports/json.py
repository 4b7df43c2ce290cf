"""The run result as JSON (the format `traingate report` and `diff` read back)."""

from __future__ import annotations

from pathlib import Path

from traingate.results.model import RunResult


def write_json(result: RunResult, path: str | Path) -> None:
    Path(path).write_text(result.model_dump_json(indent=2), encoding="utf-8")


def read_json(path: str | Path) -> RunResult:
    return RunResult.model_validate_json(Path(path).read_text(encoding="utf-8"))
