"""Run results and the gate. Names load on first use (PEP 562), so `from traingate.results.gate import
ExitCode` does not build the pydantic models."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from traingate.results.gate import ExitCode, decide
    from traingate.results.model import CheckResult, RunResult, Sample, run_json_schema

_WHERE = {"ExitCode": "gate", "decide": "gate", "CheckResult": "model", "RunResult": "model", "Sample": "model",
          "run_json_schema": "model"}

__all__ = ["CheckResult", "ExitCode", "RunResult", "Sample", "decide", "run_json_schema"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
