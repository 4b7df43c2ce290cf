"""The contract language: YAML -> pydantic models, with located errors and a JSON Schema."""

from traingate.contracts.loader import load_contract, parse_contract
from traingate.contracts.model import GROUPS, CheckConfig, Contract, DatasetSpec

__all__ = ["GROUPS", "CheckConfig", "Contract", "DatasetSpec", "load_contract", "parse_contract"]
