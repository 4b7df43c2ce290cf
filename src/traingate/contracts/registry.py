"""Which check types the contract language knows, keyed by (group, type)."""

from __future__ import annotations

import difflib
from importlib.metadata import entry_points

from traingate.contracts.checks import BUILTIN_CHECKS
from traingate.contracts.model import GROUPS, CheckConfig

ENTRY_POINT_GROUP = "traingate.check_configs"

# Check types the contract language reserves for families not built yet: naming one is a
# contract error that says so, never a silent pass.
PLANNED: dict[str, str] = {
}

_TYPES: dict[tuple[str, str], type[CheckConfig]] = {}
_plugins_loaded = False


def check_type_name(model: type[CheckConfig]) -> str:
    annotation = model.model_fields["type"].annotation
    args: tuple[object, ...] = tuple(getattr(annotation, "__args__", ()))
    name = args[0] if len(args) == 1 else None
    if not isinstance(name, str):
        raise TypeError(f"{model.__name__}.type must be a Literal of one string")
    return name


def register_check_config(model: type[CheckConfig]) -> type[CheckConfig]:
    """Add a check type to the language; a name taken twice in one group raises."""
    if model.group not in GROUPS:
        raise ValueError(f"{model.__name__}: unknown group {model.group!r}")
    key = (model.group, check_type_name(model))
    if key in _TYPES and _TYPES[key] is not model:
        raise ValueError(f"check type {key[1]!r} is registered twice in group {key[0]!r}")
    _TYPES[key] = model
    return model


def _load() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for model in BUILTIN_CHECKS:
        register_check_config(model)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        register_check_config(ep.load())


def check_types() -> dict[tuple[str, str], type[CheckConfig]]:
    _load()
    return dict(_TYPES)


def lookup(group: str, type_name: str) -> type[CheckConfig] | None:
    _load()
    return _TYPES.get((group, type_name))


def groups_of(type_name: str) -> list[str]:
    _load()
    return [g for (g, t) in _TYPES if t == type_name]


def suggest(word: str, candidates: list[str] | tuple[str, ...]) -> str | None:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return close[0] if close else None


def all_type_names() -> list[str]:
    _load()
    return sorted({t for (_, t) in _TYPES} | set(PLANNED))
