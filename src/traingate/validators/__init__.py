"""The checks: one subpackage per contract group, each module defining check types where they are
registered (validators/common/registry.py); `common/` holds what the checks share. `load_builtins` imports
every module of every group package, so a new check module needs no list; the registry
(traingate.contracts.registry) calls it when it needs every check, and otherwise imports only the modules
of the types a contract names (contracts/builtins.py)."""

import importlib
import pkgutil

from traingate.validators.common.base import Validator
from traingate.validators.common.registry import build, check, validators

GROUP_PACKAGES = ("format", "quantity", "uniqueness", "compliance", "alignment", "relevance", "coverage",
                  "consistency", "expectations")


def load_builtins() -> None:
    for group in GROUP_PACKAGES:
        package = importlib.import_module(f"traingate.validators.{group}")
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")


__all__ = ["GROUP_PACKAGES", "Validator", "build", "check", "load_builtins", "validators"]
