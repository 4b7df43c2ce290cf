"""The check types the contract language knows: one table, keyed by (group, type), filled by the one
decorator `traingate.validators.common.registry.check` as check modules are imported.

Built-in checks and third-party checks take the same path: each is published under the entry-point group
`traingate.validators` (the built-ins as `traingate = traingate.validators`, in pyproject.toml). A question
about one type (parsing a contract, building its validator, reading its result's details) loads that type's
built-in module, which contracts/builtins.py names, and the published modules; any other question (`checks`,
`schema`, a type that table does not place) loads them all. This module imports no check: the language sits
below the checks that implement it."""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points

from traingate.contracts import builtins
from traingate.contracts.model import GROUPS, CheckConfig
from traingate.results.details import Details
from traingate.results.model import CheckResult

ENTRY_POINT_GROUP = "traingate.validators"
BUILTIN_ENTRY_POINT = "traingate"
BUILTIN_MODULE = "traingate.validators"  # its load_builtins() imports them; by name, being a layer above

# Check types the contract language reserves for families not built yet: naming one is a
# contract error that says so, never a silent pass.
PLANNED: dict[str, str] = {
}


@dataclass(frozen=True)
class CheckType:
    name: str
    group: str
    options: type[CheckConfig]
    validator: type  # a traingate.validators Validator subclass
    origin: str  # the module that registered it
    details: type[Details] = Details  # the model of its CheckResult.details (permissive unless it names one)


_TYPES: dict[tuple[str, str], CheckType] = {}
_state = {"loaded": False, "loading": False, "plugins": False}


def check_type_name(model: type[CheckConfig]) -> str:
    annotation = model.model_fields["type"].annotation
    args: tuple[object, ...] = tuple(getattr(annotation, "__args__", ()))
    name = args[0] if len(args) == 1 else None
    if not isinstance(name, str):
        raise TypeError(f"{model.__name__}.type must be a Literal of one string")
    return name


def register(entry: CheckType) -> None:
    """Add a check type; its group must be a contract group and its options' `type` its name."""
    if entry.group not in GROUPS:
        raise ValueError(f"{entry.origin}: check type {entry.name!r} names unknown group {entry.group!r}; "
                         f"use one of {', '.join(GROUPS)}")
    if check_type_name(entry.options) != entry.name:
        raise ValueError(f"{entry.origin}: {entry.options.__name__}.type is {check_type_name(entry.options)!r}, "
                         f"not {entry.name!r}")
    if not (isinstance(entry.details, type) and issubclass(entry.details, Details)):
        raise ValueError(f"{entry.origin}: the details model of check type {entry.name!r} must be a subclass of "
                         "traingate.results.details.Details")
    key = (entry.group, entry.name)
    if key in _TYPES and _TYPES[key].validator is not entry.validator:
        raise ValueError(f"check type {entry.name!r} is registered twice in group {entry.group!r} "
                         f"({_TYPES[key].origin} and {entry.origin})")
    _TYPES[key] = entry


def load() -> None:
    """Import every module published under the entry-point group, once (the built-ins first)."""
    if _state["loaded"] or _state["loading"]:
        return
    _state["loading"] = True
    try:
        importlib.import_module(BUILTIN_MODULE).load_builtins()
        _plugins()
        _state["loaded"] = True
    finally:
        _state["loading"] = False


def _plugins() -> None:
    """Import the modules other distributions publish under the entry-point group, once."""
    if _state["plugins"]:
        return
    _state["plugins"] = True
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name != BUILTIN_ENTRY_POINT:
            entry.load()


def entry(group: str, type_name: str) -> CheckType | None:
    """One check type: a built-in loads its own module (and the published check types, which may clash with
    it) rather than every check; a type the built-in table does not place, or places wrong, loads them all."""
    key = (group, type_name)
    if key not in _TYPES and key in builtins.WHERE and not _state["loading"]:
        importlib.import_module(f"{BUILTIN_MODULE}.{builtins.WHERE[key]}")
        _plugins()
    if key not in _TYPES:
        load()
    return _TYPES.get(key)


def entries() -> dict[tuple[str, str], CheckType]:
    load()
    return dict(_TYPES)


def check_types() -> dict[tuple[str, str], type[CheckConfig]]:
    return {key: entry.options for key, entry in entries().items()}


def lookup(group: str, type_name: str) -> type[CheckConfig] | None:
    found = entry(group, type_name)
    return found.options if found else None


def details_model(result: CheckResult) -> Details:
    """A result's details parsed into the model its check type registered. An errored or skipped check's
    details (whatever it held when it stopped), and those of a type this installation does not know, parse
    into the permissive base model. Details that do not fit their model raise pydantic's ValidationError."""
    found = entry(result.group, result.type) if result.status not in ("errored", "skipped") else None
    model = found.details if found is not None else Details
    return model.model_validate(result.details)


def groups_of(type_name: str) -> list[str]:
    return [g for (g, t) in entries() if t == type_name]


def suggest(word: str, candidates: list[str] | tuple[str, ...]) -> str | None:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return close[0] if close else None


def all_type_names() -> list[str]:
    return sorted({t for (_, t) in entries()} | set(PLANNED))

