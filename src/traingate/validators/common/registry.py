"""Check type -> validator class. Built-ins register by decorator from a visible import list
(validators/__init__.py); third parties through the `traingate.validators` entry-point group."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from traingate.contracts.model import CheckConfig, DatasetSpec
from traingate.contracts.registry import check_type_name, register_check_config
from traingate.errors import NotImplementedCheckError
from traingate.validators.common.base import Validator

ENTRY_POINT_GROUP = "traingate.validators"
_VALIDATORS: dict[tuple[str, str], type[Validator[Any, Any]]] = {}
_plugins_loaded = False


def register_validator(cls: type[Validator[Any, Any]]) -> type[Validator[Any, Any]]:
    model = cls.config_model
    key = (model.group, check_type_name(model))
    if key in _VALIDATORS and _VALIDATORS[key] is not cls:
        raise ValueError(f"two validators for check type {key[1]!r} in group {key[0]!r}")
    register_check_config(model)
    _VALIDATORS[key] = cls
    return cls


def _load_plugins() -> None:
    global _plugins_loaded
    if not _plugins_loaded:
        _plugins_loaded = True
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            register_validator(ep.load())


def validators() -> dict[tuple[str, str], type[Validator[Any, Any]]]:
    _load_plugins()
    return dict(_VALIDATORS)


def build(config: CheckConfig, spec: DatasetSpec, check_id: str, base_dir: str | None = None) -> Validator[Any, Any]:
    _load_plugins()
    cls = _VALIDATORS.get((config.group, config.type))
    if cls is None:
        raise NotImplementedCheckError(f"check type {config.type!r} ({config.group}) has no validator in this "
                                       "version of traingate", None, "remove it from the contract")
    return cls(config, spec, check_id, base_dir)
