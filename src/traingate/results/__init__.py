"""Run results and the gate. Names load on first use (PEP 562), so `from traingate.results.gate import
ExitCode` does not build the pydantic models."""

from __future__ import annotations

from typing import TYPE_CHECKING

from traingate.lazy import on_first_use

if TYPE_CHECKING:
    from traingate.results.gate import ExitCode, decide
    from traingate.results.model import CheckResult, RunResult, Sample, run_json_schema

_WHERE = {"ExitCode": "gate", "decide": "gate", "CheckResult": "model", "RunResult": "model", "Sample": "model",
          "run_json_schema": "model"}

__all__ = ["CheckResult", "ExitCode", "RunResult", "Sample", "decide", "run_json_schema"]


__getattr__ = on_first_use(__name__, _WHERE)
