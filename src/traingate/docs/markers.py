"""The regions of a generated page a person writes, kept as written when it is regenerated:
`<!-- notes: NAME -->` ... `<!-- end notes -->` and `<!-- example: TYPE -->` ... `<!-- end example -->`; the
example built for a check type that has none, and why a worked example is not a contract using its check."""

from __future__ import annotations

import re
from typing import Any, get_args, get_origin

import yaml

from traingate.contracts import parse_contract, registry
from traingate.errors import TraingateError

REGION = re.compile(r"<!-- (notes|example): ([\w.-]+) -->\n(.*?)<!-- end \1 -->", re.S)


def regions(text: str | None) -> dict[tuple[str, str], str]:
    """(notes|example, name) -> the text between its markers, as written."""
    return {(m.group(1), m.group(2)): m.group(3) for m in REGION.finditer(text or "")}


def region(kind: str, name: str, body: str) -> list[str]:
    body = body if not body or body.endswith("\n") else body + "\n"
    return [f"<!-- {kind}: {name} -->\n{body}<!-- end {kind} -->"]


def auto_example(group: str, entry: registry.CheckType) -> str:
    """A contract using the check with its required options filled in by their types."""
    values: dict[Any, Any] = {str: "text", int: 1, float: 0.5, bool: True}
    item: dict[str, Any] = {"type": entry.name}
    for name, info in entry.options.model_fields.items():
        if info.is_required() and name != "type":
            origin, args = get_origin(info.annotation), get_args(info.annotation)
            item[name] = ([values.get(args[0], "text")] if origin is list else {} if origin is dict
                          else values.get(info.annotation, "text"))
    contract = {"contract": f"{entry.name.replace('_', '-')}-example", "version": "1.0.0",
                "dataset": {"kind": "sft"}, "checks": {group: [item]}}
    return f"```yaml\n{yaml.safe_dump(contract, sort_keys=False, allow_unicode=True)}```\n"


def example_problem(example: str, group: str, name: str) -> str | None:
    """Why a check's worked example is not a contract using it, or None when it is."""
    blocks = re.findall(r"```yaml\n(.*?)```", example, re.S)
    if len(blocks) != 1:
        return f"it holds {len(blocks)} yaml blocks, not one"
    try:
        contract = parse_contract(blocks[0], f"{group}.{name} example")
    except TraingateError as exc:
        return f"it does not parse: {exc}"
    if not any(c.group == group and c.type == name for c in contract.all_checks()):
        return f"it has no {group} check of type {name!r}"
    return None
