"""The JSON Schema of the contract language, for editors and CI linting."""

from __future__ import annotations

from typing import Any

from traingate.contracts import registry
from traingate.contracts.expectations import SUPPORTED
from traingate.contracts.model import GROUPS, ContractHeader

SCHEMA_ID = "https://traingate.dev/schemas/contract-1.json"


def contract_json_schema() -> dict[str, Any]:
    schema = ContractHeader.model_json_schema()
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    groups: dict[str, Any] = {}
    for group in GROUPS:
        variants = []
        for (g, type_name), model in sorted(registry.check_types().items()):
            if g != group:
                continue
            sub = model.model_json_schema(ref_template="#/$defs/{model}")
            defs.update(sub.pop("$defs", {}))
            name = f"{group}_{type_name}"
            sub["description"] = model.summary
            defs[name] = sub
            variants.append({"$ref": f"#/$defs/{name}"})
        item: dict[str, Any] = {"oneOf": variants} if variants else {"not": {}}
        groups[group] = {"type": "array", "items": item}
    schema["properties"]["checks"] = {"type": "object", "properties": groups, "additionalProperties": False}
    schema["properties"]["expectations"] = {
        "type": "array", "description": "Great Expectations Core 1.x expectations, each `- expect_...: {arguments}`",
        "items": {"type": "object", "minProperties": 1,
                  "propertyNames": {"enum": [*SUPPORTED, "name", "severity", "description", "sample"]}}}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "traingate contract"
    return schema
