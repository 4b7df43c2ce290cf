"""traingate: a declarative data contract and quality gate for machine-learning training data."""

from traingate.contracts import load_contract, parse_contract
from traingate.errors import ContractError, MissingDependencyError, SourceError, TraingateError
from traingate.results import CheckResult, ExitCode, RunResult
from traingate.version import __version__


def validate(contract: str, data: list[str], *, limit: int | None = None) -> RunResult:
    """Load a contract file and check the data against it in one pass."""
    from traingate.engine.runner import validate as run

    return run(load_contract(contract), data, limit=limit)


__all__ = [
    "CheckResult", "ContractError", "ExitCode", "MissingDependencyError", "RunResult", "SourceError",
    "TraingateError", "__version__", "load_contract", "parse_contract", "validate",
]
