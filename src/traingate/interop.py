"""A contract in other tools' terms: the checks with a Great Expectations equivalent as an
ExpectationSuite (JSON that GX Core 1.x loads and runs), and the schema check as a pandera schema."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from traingate.contracts.expectations import SUPPORTED, ExpectationCheck, unsupported_reason
from traingate.contracts.model import Contract
from traingate.errors import TraingateError
from traingate.validators.format.pandera_bridge import ColumnSpec
from traingate.validators.format.schema import SchemaCheck
from traingate.validators.quantity.minimums import MinRowsCheck


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
        elif isinstance(check, ExpectationCheck):
            expectations.append(_expectation(check.expectation, **check.kwargs))
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


class NothingToExport(TraingateError):
    """No check of the contract has an equivalent in the target tool."""


PANDERA_OPTIONS = "regex, isin, min_length/max_length, min/max"


def to_pandera_yaml(contract: Contract) -> str:
    """The pandera schema (YAML) of the value checks each schema check has pandera run per batch; required,
    nullable and unique are traingate's own checks, as they span batches. Raises NothingToExport when no
    schema check declares a value check."""
    from traingate.validators.format.pandera_bridge import build_schema

    schemas = [build_schema(check.columns) for check in contract.all_checks() if isinstance(check, SchemaCheck)]
    found = [schema.to_yaml() for schema in schemas if schema is not None]
    if not found:
        raise NothingToExport(
            f"nothing in contract {contract.contract} maps to pandera: only the value options of a schema "
            f"check's columns do ({PANDERA_OPTIONS}); dtype, required, nullable and unique stay traingate's "
            f"own checks; use --format gx for the other exportable checks")
    return "\n---\n".join(found)


GX_SEVERITY = {"critical": "error", "warning": "warn", "info": "info"}  # GX 1.x severity -> traingate's


@dataclass
class GxImport:
    contract: dict[str, Any]
    unsupported: list[str] = field(default_factory=list)  # "name: why", one per expectation left out


def from_gx_suite(suite: dict[str, Any], kind: str) -> GxImport:
    """A contract embedding a GX suite's expectations (GX Core 1.x JSON, or 0.x with expectation_type)."""
    from pydantic import ValidationError

    result = GxImport(contract={})
    items: list[dict[str, Any]] = []
    for index, entry in enumerate(suite.get("expectations", [])):
        name = str(entry.get("type") or entry.get("expectation_type") or f"<expectation {index} without a type>")
        kwargs = {k: v for k, v in (entry.get("kwargs") or {}).items() if k != "batch_id"}
        reason = unsupported_reason(name)
        if reason is None:
            try:
                SUPPORTED[name][2].model_validate(kwargs)
            except ValidationError as exc:
                reason = f"its arguments do not map: {exc.errors()[0]['msg']} at {exc.errors()[0]['loc']}"
        if reason is not None:
            result.unsupported.append(f"{name}: {reason}")
        else:
            severity = GX_SEVERITY.get(str(entry.get("severity", "")))
            items.append({name: kwargs, **({"severity": severity} if severity else {})})
    name = suite.get("name") or suite.get("expectation_suite_name") or "imported-suite"
    result.contract = {"contract": str(name), "version": "1.0.0",
                       "description": f"Imported from the Great Expectations suite {name!r}.",
                       "dataset": {"kind": kind}, "expectations": items}
    return result


def dumps(export: GxExport) -> str:
    return json.dumps(export.suite, indent=2, default=str)
