"""Validators. Importing this package registers every built-in check type; the list is explicit."""

from traingate.validators import (  # noqa: F401
    agreement,
    alignment,
    chat,
    conflicts,
    contamination,
    coverage,
    exact,
    expectations,
    hygiene,
    leakage,
    lengths,
    near,
    pairs,
    pii,
    policy,
    provenance,
    quantity,
    relevance,
    schema,
    scoring,
    semantic,
)
from traingate.validators.base import Validator
from traingate.validators.registry import build, register_validator, validators

__all__ = ["Validator", "build", "register_validator", "validators"]
