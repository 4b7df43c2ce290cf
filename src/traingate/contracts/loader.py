"""Contract file -> Contract model, with every problem reported as file:line:col plus a fix."""

from __future__ import annotations

import hashlib
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from traingate.contracts import regexes, registry
from traingate.contracts.model import GROUPS, CheckConfig, Contract, ContractHeader
from traingate.contracts.yamlpos import Path, PositionedDocument, load_positioned
from traingate.errors import ContractError, ContractErrors, Location, NotImplementedCheckError

MAX_CONTRACT_BYTES = 1 << 20  # 1 MiB: a contract is a few KiB; past this it is not one (or it is /dev/zero)


def load_contract(path: str | FsPath) -> Contract:
    file = str(path)
    try:
        with open(path, "rb") as handle:
            raw_bytes = handle.read(MAX_CONTRACT_BYTES + 1)  # never more: the file may not end
    except OSError as exc:
        raise ContractError(f"cannot read contract: {exc.strerror}", None, f"check the path {file!r}") from exc
    _check_size(len(raw_bytes), file)
    return parse_contract(raw_bytes.decode("utf-8", errors="replace"), file, hashlib.sha256(raw_bytes).hexdigest())


def _check_size(size: int, file: str) -> None:
    if size > MAX_CONTRACT_BYTES:
        raise ContractError(f"the contract is larger than {MAX_CONTRACT_BYTES >> 20} MiB", Location(file, 1, 1),
                            "a contract is a YAML file of a few KiB: check that the path names the contract")


def parse_contract(text: str, file: str = "<contract>", sha256: str = "") -> Contract:
    _check_size(len(text), file)
    doc = load_positioned(text, file)
    if not isinstance(doc.data, dict):
        raise ContractError("a contract is a YAML mapping with keys contract, version, dataset, checks",
                            doc.locate(()))
    data = dict(doc.data)
    raw_checks = data.pop("checks", {})
    raw_expectations = data.pop("expectations", None)
    errors: list[ContractError] = []
    header = _validate(ContractHeader, data, (), doc, errors)
    checks = _parse_checks(raw_checks, doc, errors)
    for check in parse_expectations(raw_expectations, doc, errors):
        checks.setdefault(check.group, []).append(check)
    if errors:
        raise errors[0] if len(errors) == 1 else ContractErrors(errors)
    assert isinstance(header, ContractHeader)
    return Contract(**header.model_dump(), checks=checks, source_path=file, sha256=sha256)


def _parse_checks(raw: Any, doc: PositionedDocument, errors: list[ContractError]) -> dict[str, list[CheckConfig]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors.append(ContractError("`checks` maps a quality dimension to a list of checks", doc.locate(("checks",))))
        return {}
    result: dict[str, list[CheckConfig]] = {}
    for group, items in raw.items():
        where: Path = ("checks", str(group))
        if group not in GROUPS:
            hint = _did_you_mean(str(group), GROUPS) or f"use one of: {', '.join(GROUPS)}"
            errors.append(ContractError(f"unknown quality dimension {group!r}", doc.locate(where, True), hint))
            continue
        if not isinstance(items, list):
            errors.append(ContractError(f"`{group}` holds a list of checks (each starting with '- type:')",
                                        doc.locate(where)))
            continue
        parsed = [_parse_check(str(group), i, item, doc, errors) for i, item in enumerate(items)]
        result[str(group)] = [c for c in parsed if c is not None]
    return result


def _parse_check(group: str, index: int, item: Any, doc: PositionedDocument,
                 errors: list[ContractError]) -> CheckConfig | None:
    where: Path = ("checks", group, index)
    if not isinstance(item, dict) or "type" not in item:
        errors.append(ContractError("a check is a mapping with a `type` key", doc.locate(where),
                                    "see `traingate checks` for the types"))
        return None
    type_name = str(item["type"])
    model = registry.lookup(group, type_name)
    if model is None:
        errors.append(_unknown_type(group, type_name, doc.locate((*where, "type"))))
        return None
    result = _validate(model, item, where, doc, errors)
    refused = _regex_errors(model.regex_options, item, where, doc)
    errors.extend(refused)
    return result if isinstance(result, CheckConfig) and not refused else None


def _regex_errors(paths: tuple[tuple[str, ...], ...], item: dict[str, Any], where: Path,
                  doc: PositionedDocument) -> list[ContractError]:
    """Each regex of the check that RE2 cannot take: checks match in linear time, so such a pattern is refused."""
    out = []
    for inner, pattern in regexes.patterns_in(paths, item):
        problem = regexes.re2_problem(pattern)
        if problem is not None:
            dotted = ".".join(str(p) for p in (*where, *inner))
            out.append(ContractError(f"{dotted}: RE2 cannot take the regex {pattern!r} ({problem[0]})",
                                     doc.locate((*where, *inner)), problem[1]))
    return out


def parse_expectations(raw: Any, doc: PositionedDocument, errors: list[ContractError]) -> list[CheckConfig]:
    """The `expectations:` section: a list of `- expect_...: {GX arguments}` items, each optionally with
    name, severity, description and sample beside the expectation's key."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.append(ContractError("`expectations` is a list of `- expect_...: {arguments}` items",
                                    doc.locate(("expectations",))))
        return []
    found = [_parse_expectation(i, item, doc, errors) for i, item in enumerate(raw)]
    return [check for check in found if check is not None]


def _parse_expectation(index: int, item: Any, doc: PositionedDocument,
                       errors: list[ContractError]) -> CheckConfig | None:
    where: Path = ("expectations", index)
    names = [k for k in item if str(k).startswith("expect")] if isinstance(item, dict) else []
    if len(names) != 1:
        errors.append(ContractError("an expectation item has exactly one `expect_...:` key holding its arguments",
                                    doc.locate(where), "e.g. `- expect_column_values_to_not_be_null: {column: prompt}`"))
        return None
    name = str(names[0])
    from traingate.contracts import expectations  # GX's argument models build only for a contract that embeds one

    reason = expectations.unsupported_reason(name)
    if reason is not None:
        hint = _did_you_mean(name, list(expectations.SUPPORTED)) or "`traingate checks` lists the supported ones"
        errors.append(ContractError(reason, doc.locate((*where, name), True), hint))
        return None
    _, group, args_model = expectations.SUPPORTED[name]
    kwargs = item[name] if item[name] is not None else {}
    if _validate(args_model, kwargs, (*where, name), doc, errors) is None:
        return None
    data = {k: v for k, v in item.items() if k != name}
    column = kwargs.get("column") if isinstance(kwargs, dict) else None
    data.setdefault("name", f"{name}({column})" if column else name)
    model = registry.lookup(group, "expectation")
    assert model is not None
    check = _validate(model, {"type": "expectation", "expectation": name, "kwargs": kwargs, **data}, where, doc, errors)
    return check if isinstance(check, CheckConfig) else None


def _unknown_type(group: str, type_name: str, location: Any) -> ContractError:
    planned_group = registry.PLANNED.get(type_name)
    if planned_group is not None:
        return NotImplementedCheckError(
            f"check type {type_name!r} ({planned_group}) is not implemented in this version of traingate",
            location, "remove it from the contract until a release provides it")
    elsewhere = registry.groups_of(type_name)
    if elsewhere:
        return ContractError(f"check type {type_name!r} belongs in group {elsewhere[0]!r}, not {group!r}",
                             location, f"move it under checks.{elsewhere[0]}")
    hint = _did_you_mean(type_name, registry.all_type_names()) or "run `traingate checks` to list the types"
    return ContractError(f"unknown check type {type_name!r}", location, hint)


def _did_you_mean(word: str, candidates: Any) -> str | None:
    close = registry.suggest(word, list(candidates))
    return f"did you mean {close!r}?" if close else None


def _validate(model: type[BaseModel], data: Any, prefix: Path, doc: PositionedDocument,
              errors: list[ContractError]) -> BaseModel | None:
    try:
        return model.model_validate(data, context={"contract_file": doc.file})  # relative paths start there
    except ValidationError as exc:
        errors.extend(_convert(model, exc, prefix, doc))
        return None


def _convert(model: type[BaseModel], exc: ValidationError, prefix: Path,
             doc: PositionedDocument) -> list[ContractError]:
    out = []
    for err in exc.errors():
        loc = tuple(str(p) if not isinstance(p, int) else p for p in err["loc"])
        path = (*prefix, *loc)
        dotted = ".".join(str(p) for p in path) or "contract"
        kind = str(err["type"])
        if kind == "extra_forbidden":
            key = str(loc[-1])
            hint: str | None = _did_you_mean(key, _field_names(model, loc[:-1])) or "remove it; `traingate lint` lists the keys"
            out.append(ContractError(f"unknown key {key!r} in {_parent(path)}", doc.locate(path, True), hint))
        elif kind == "missing":
            out.append(ContractError(f"missing required key {str(loc[-1])!r} in {_parent(path)}",
                                     doc.locate(path[:-1], True), f"add `{loc[-1]}:`"))
        else:
            expected = (err.get("ctx") or {}).get("expected", "")
            value = err.get("input")
            hint = _did_you_mean(str(value), [v.strip(" '") for v in str(expected).replace(" or ", ",").split(",")])
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
