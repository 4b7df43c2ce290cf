"""The check types the contract language knows: one table, keyed by (group, type), filled by the one
decorator `traingate.validators.common.registry.check` as check modules are imported.

Built-in checks and third-party checks take the same path: each is published under the entry-point group
`traingate.validators` (the built-ins as `traingate = traingate.validators`, in pyproject.toml), and the
table loads that group the first time anyone asks it anything (parsing a contract, `lint`, `checks`,
`schema`, a run). This module imports no check: the language sits below the checks that implement it."""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points

from traingate.contracts.model import GROUPS, CheckConfig
from traingate.results.details import Details
from traingate.results.model import CheckResult

ENTRY_POINT_GROUP = "traingate.validators"
BUILTIN_ENTRY_POINT = "traingate"
BUILTIN_MODULE = "traingate.validators"  # loaded by name only from a source tree, where no entry point is installed

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
_state = {"loaded": False, "loading": False}


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
        published = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name != BUILTIN_ENTRY_POINT)
        if not any(e.name == BUILTIN_ENTRY_POINT for e in published):
            importlib.import_module(BUILTIN_MODULE)
        for entry in published:
            entry.load()
        _state["loaded"] = True
    finally:
        _state["loading"] = False


def entries() -> dict[tuple[str, str], CheckType]:
    load()
    return dict(_TYPES)


def check_types() -> dict[tuple[str, str], type[CheckConfig]]:
    return {key: entry.options for key, entry in entries().items()}


def lookup(group: str, type_name: str) -> type[CheckConfig] | None:
    entry = entries().get((group, type_name))
    return entry.options if entry else None


def details_model(result: CheckResult) -> Details:
    """A result's details parsed into the model its check type registered. An errored or skipped check's
    details (whatever it held when it stopped), and those of a type this installation does not know, parse
    into the permissive base model. Details that do not fit their model raise pydantic's ValidationError."""
    entry = entries().get((result.group, result.type))
    model = entry.details if entry is not None and result.status not in ("errored", "skipped") else Details
    return model.model_validate(result.details)


def groups_of(type_name: str) -> list[str]:
    return [g for (g, t) in entries() if t == type_name]


def suggest(word: str, candidates: list[str] | tuple[str, ...]) -> str | None:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return close[0] if close else None


def all_type_names() -> list[str]:
    return sorted({t for (_, t) in entries()} | set(PLANNED))

