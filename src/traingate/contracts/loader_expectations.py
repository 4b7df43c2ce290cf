"""The `expectations:` section of a contract (contracts/loader.py): each `- expect_...: {GX arguments}` item
checked against the arguments GX takes (contracts/expectations.py) and made an `expectation` check of the
group the expectation belongs to, every problem at its file:line:col. Loaded only for a contract that has
the section."""

from __future__ import annotations

from typing import Any

from traingate.contracts import registry
from traingate.contracts.loader import validated
from traingate.contracts.loader_problems import did_you_mean
from traingate.contracts.model import CheckConfig
from traingate.contracts.yamlpos import Path, PositionedDocument
from traingate.errors import ContractError


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
        hint = did_you_mean(name, list(expectations.SUPPORTED)) or "`traingate checks` lists the supported ones"
        errors.append(ContractError(reason, doc.locate((*where, name), True), hint))
        return None
    _, group, args_model = expectations.SUPPORTED[name]
    kwargs = item[name] if item[name] is not None else {}
    if validated(args_model, kwargs, (*where, name), doc, errors) is None:
        return None
    data = {k: v for k, v in item.items() if k != name}
    column = kwargs.get("column") if isinstance(kwargs, dict) else None
    data.setdefault("name", f"{name}({column})" if column else name)
    model = registry.lookup(group, "expectation")
    assert model is not None
    check = validated(model, {"type": "expectation", "expectation": name, "kwargs": kwargs, **data}, where, doc, errors)
    return check if isinstance(check, CheckConfig) else None
