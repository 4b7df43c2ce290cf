"""A contract in other tools' terms: the checks with a Great Expectations equivalent as an
ExpectationSuite (JSON that GX Core 1.x loads and runs), and the schema check as a pandera schema."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from traingate.contracts.checks import ColumnSpec, MinRowsCheck, SchemaCheck
from traingate.contracts.model import Contract


@dataclass
class GxExport:
    suite: dict[str, Any]
    exported: dict[str, list[str]] = field(default_factory=dict)  # check id -> its expectation types
    not_exportable: list[str] = field(default_factory=list)


def _expectation(kind: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": kwargs, "meta": {}}


def column_expectations(name: str, spec: ColumnSpec) -> tuple[list[dict[str, Any]], list[str]]:
    """GX expectations for one declared column, and the options that have none (dtype)."""
    out = [_expectation("expect_column_to_exist", column=name)] if spec.required else []
    if not spec.nullable:
        out.append(_expectation("expect_column_values_to_not_be_null", column=name))
    if spec.regex is not None:  # traingate's regex must match the whole value; GX searches
        out.append(_expectation("expect_column_values_to_match_regex", column=name, regex=f"^(?:{spec.regex})$"))
    if spec.isin is not None:
        out.append(_expectation("expect_column_values_to_be_in_set", column=name, value_set=list(spec.isin)))
    if spec.min_length is not None or spec.max_length is not None:
        out.append(_expectation("expect_column_value_lengths_to_be_between", column=name,
                                min_value=spec.min_length, max_value=spec.max_length))
    if spec.min is not None or spec.max is not None:
        out.append(_expectation("expect_column_values_to_be_between", column=name, min_value=spec.min, max_value=spec.max))
    if spec.unique:
        out.append(_expectation("expect_column_values_to_be_unique", column=name))
    return out, ([f"{name}.dtype {spec.dtype}"] if spec.dtype != "any" else [])


def to_gx_suite(contract: Contract, check_ids: list[str]) -> GxExport:
    result = GxExport(suite={"name": contract.contract, "expectations": [],
                             "meta": {"traingate_contract": contract.contract, "version": contract.version}})
    for check, check_id in zip(contract.all_checks(), check_ids):
        expectations: list[dict[str, Any]] = []
        if isinstance(check, SchemaCheck):
            for name, spec in check.columns.items():
                found, missing = column_expectations(name, spec)
                expectations += found
                result.not_exportable += [f"{check_id}: {m} (GX types are backend dtypes)" for m in missing]
        elif isinstance(check, MinRowsCheck) and not check.per_split:
            expectations.append(_expectation("expect_table_row_count_to_be_between", min_value=check.min))
        else:
            result.not_exportable.append(f"{check_id}: no Great Expectations equivalent")
            continue
        for expectation in expectations:
            expectation["meta"] = {"traingate_check": check_id}
        result.suite["expectations"] += expectations
        result.exported[check_id] = [e["type"] for e in expectations]
    return result


def to_pandera_yaml(contract: Contract) -> str:
    """The pandera schema (YAML) of the value checks each schema check has pandera run per batch; required,
    nullable and unique are traingate's own checks, as they span batches."""
    from traingate.validators.pandera_bridge import build_schema

    schemas = [build_schema(check.columns) for check in contract.all_checks() if isinstance(check, SchemaCheck)]
    return "\n---\n".join(schema.to_yaml() for schema in schemas if schema is not None)


def dumps(export: GxExport) -> str:
    return json.dumps(export.suite, indent=2, default=str)
