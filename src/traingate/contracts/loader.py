"""Contract file -> Contract model, with every problem reported as file:line:col plus a fix.

The header and the `checks:` section are read here; the `expectations:` section in loader_expectations.py
(loaded only for a contract that has one), and what a problem says (a pydantic error at its place, a hint) in
loader_problems.py, loaded only for a contract with a problem."""

from __future__ import annotations

import hashlib
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from traingate.contracts import regexes, registry
from traingate.contracts.model import GROUPS, CheckConfig, Contract, ContractHeader
from traingate.contracts.yamlpos import Path, PositionedDocument, load_positioned
from traingate.errors import ContractError, ContractErrors, Location

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
    header = validated(ContractHeader, data, (), doc, errors)
    checks = _parse_checks(raw_checks, doc, errors)
    if raw_expectations is not None:
        from traingate.contracts.loader_expectations import parse_expectations

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
            from traingate.contracts.loader_problems import did_you_mean

            hint = did_you_mean(str(group), GROUPS) or f"use one of: {', '.join(GROUPS)}"
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
        from traingate.contracts.loader_problems import unknown_type

        errors.append(unknown_type(group, type_name, doc.locate((*where, "type"))))
        return None
    result = validated(model, item, where, doc, errors)
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


def validated(model: type[BaseModel], data: Any, prefix: Path, doc: PositionedDocument,
              errors: list[ContractError]) -> BaseModel | None:
    """`data` as `model`; None, with each of its problems added to `errors` at its place, when it is not one."""
    try:
        return model.model_validate(data, context={"contract_file": doc.file})  # relative paths start there
    except ValidationError as exc:
        from traingate.contracts.loader_problems import converted

        errors.extend(converted(model, exc, prefix, doc))
        return None
