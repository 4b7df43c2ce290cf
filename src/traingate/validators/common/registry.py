"""The one way to register a check type: `@check(type, group=..., options=..., details=...)` on its
validator class, in the module that defines all three. Built-in and third-party checks use it alike; the
table it fills is traingate.contracts.registry, which loads the modules published under the entry-point
group `traingate.validators` before it answers (the built-ins are published there too; of those, only the
modules of the types asked about when the question is about one type)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from traingate.contracts import registry
from traingate.contracts.model import CheckConfig, DatasetSpec
from traingate.errors import NotImplementedCheckError
from traingate.results.details import Details
from traingate.validators.common.base import Validator

V = TypeVar("V", bound=type[Validator[Any, Any]])


def check(name: str, *, group: str, options: type[CheckConfig],
          details: type[Details] = Details) -> Callable[[V], V]:
    """Register the decorated validator class as check type `name` of contract group `group`, configured
    by `options` (a CheckConfig whose `type` is Literal[name]), its results' details following `details`
    (a subclass of traingate.results.details.CheckDetails; validators/common/details.py holds the shared
    shapes and the report sections). The group is never a default: a check files under the group it
    names. Without `details`, the details are untyped and the HTML report draws none of them."""

    def register(cls: V) -> V:
        options.group = group
        cls.config_model = options
        registry.register(registry.CheckType(name, group, options, cls, cls.__module__, details))
        return cls

    return register


def validators() -> dict[tuple[str, str], type[Validator[Any, Any]]]:
    return {key: entry.validator for key, entry in registry.entries().items()}


def build(config: CheckConfig, spec: DatasetSpec, check_id: str, base_dir: str | None = None) -> Validator[Any, Any]:
    entry = registry.entry(config.group, config.type)
    if entry is None:
        raise NotImplementedCheckError(f"check type {config.type!r} ({config.group}) has no validator in this "
                                       "version of traingate", None, "remove it from the contract")
    cls: type[Validator[Any, Any]] = entry.validator
    return cls(config, spec, check_id, base_dir)
