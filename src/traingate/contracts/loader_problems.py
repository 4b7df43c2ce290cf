"""What a problem in a contract says (contracts/loader.py): a pydantic validation error as one ContractError
per problem, at its file:line:col, with a hint (the key or value it was most likely meant to be, the keys
allowed there); an unknown check type, a type of another group, or one reserved for a later release. Loaded
only when a contract has a problem."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from traingate.contracts import registry
from traingate.contracts.yamlpos import Path, PositionedDocument
from traingate.errors import ContractError, NotImplementedCheckError


def unknown_type(group: str, type_name: str, location: Any) -> ContractError:
    planned_group = registry.PLANNED.get(type_name)
    if planned_group is not None:
        return NotImplementedCheckError(
            f"check type {type_name!r} ({planned_group}) is not implemented in this version of traingate",
            location, "remove it from the contract until a release provides it")
    elsewhere = registry.groups_of(type_name)
    if elsewhere:
        return ContractError(f"check type {type_name!r} belongs in group {elsewhere[0]!r}, not {group!r}",
                             location, f"move it under checks.{elsewhere[0]}")
    hint = did_you_mean(type_name, registry.all_type_names()) or "run `traingate checks` to list the types"
    return ContractError(f"unknown check type {type_name!r}", location, hint)


def did_you_mean(word: str, candidates: Any) -> str | None:
    close = registry.suggest(word, list(candidates))
    return f"did you mean {close!r}?" if close else None


def converted(model: type[BaseModel], exc: ValidationError, prefix: Path,
              doc: PositionedDocument) -> list[ContractError]:
    """Each problem of `exc` (`model` validated at `prefix`) as a ContractError at its place in `doc`."""
    out = []
    for err in exc.errors():
        loc = tuple(str(p) if not isinstance(p, int) else p for p in err["loc"])
        path = (*prefix, *loc)
        dotted = ".".join(str(p) for p in path) or "contract"
        kind = str(err["type"])
        if kind == "extra_forbidden":
            key = str(loc[-1])
            hint: str | None = did_you_mean(key, _field_names(model, loc[:-1])) or "remove it; `traingate lint` lists the keys"
            out.append(ContractError(f"unknown key {key!r} in {_parent(path)}", doc.locate(path, True), hint))
        elif kind == "missing":
            out.append(ContractError(f"missing required key {str(loc[-1])!r} in {_parent(path)}",
                                     doc.locate(path[:-1], True), f"add `{loc[-1]}:`"))
        else:
            expected = (err.get("ctx") or {}).get("expected", "")
            value = err.get("input")
            hint = did_you_mean(str(value), [v.strip(" '") for v in str(expected).replace(" or ", ",").split(",")])
            out.append(ContractError(f"{dotted}: {err['msg']}", doc.locate(path), hint))
    return out


def _parent(path: Path) -> str:
    return ".".join(str(p) for p in path[:-1]) or "the contract"


def _field_names(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Keys allowed at `loc` inside `model`, following nested model fields."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        info = getattr(current, "model_fields", {}).get(part)
        if info is not None:  # other parts are dict keys chosen by the user
            current = _model_in(info.annotation)
    return list(getattr(current, "model_fields", {}))


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
