"""Validators. Importing this package registers every built-in check type; the list is explicit."""

from traingate.validators import chat, exact, hygiene, lengths, near, pairs, quantity, schema  # noqa: F401
from traingate.validators.base import Validator
from traingate.validators.registry import build, register_validator, validators

__all__ = ["Validator", "build", "register_validator", "validators"]
