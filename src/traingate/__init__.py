"""traingate: a declarative data contract and quality gate for machine-learning training data.

The names below load on first use (PEP 562): importing `traingate.cli` for `--help` does not build the
contract language's models, the engine, or the package metadata `__version__` reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from traingate.lazy import on_first_use

if TYPE_CHECKING:
    from traingate.api import mebibytes, validate
    from traingate.contracts import load_contract, parse_contract
    from traingate.errors import ContractError, MissingDependencyError, SourceError, TraingateError, UsageError
    from traingate.results import CheckResult, ExitCode, RunResult
    from traingate.version import __version__

_WHERE = {"mebibytes": "api", "validate": "api", "load_contract": "contracts", "parse_contract": "contracts",
          "ContractError": "errors", "MissingDependencyError": "errors", "SourceError": "errors",
          "TraingateError": "errors", "UsageError": "errors", "CheckResult": "results", "ExitCode": "results",
          "RunResult": "results", "__version__": "version"}

__all__ = [
    "CheckResult", "ContractError", "ExitCode", "MissingDependencyError", "RunResult", "SourceError",
    "TraingateError", "UsageError", "__version__", "load_contract", "mebibytes", "parse_contract", "validate",
]


__getattr__ = on_first_use(__name__, _WHERE)
