"""traingate: a declarative data contract and quality gate for machine-learning training data."""

from traingate.api import mebibytes, validate
from traingate.contracts import load_contract, parse_contract
from traingate.errors import ContractError, MissingDependencyError, SourceError, TraingateError, UsageError
from traingate.results import CheckResult, ExitCode, RunResult
from traingate.version import __version__

__all__ = [
    "CheckResult", "ContractError", "ExitCode", "MissingDependencyError", "RunResult", "SourceError",
    "TraingateError", "UsageError", "__version__", "load_contract", "mebibytes", "parse_contract", "validate",
]
