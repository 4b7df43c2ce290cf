"""Typed details: every check type registers a model of its CheckResult.details, every field of which is
described, and the details each built-in check writes fit that model, which refuses any key it does not
declare. The checks run on the merge law's data (tests/validators/test_merge_law.py), and on variants that
write the keys a check writes only sometimes."""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from tests.conftest import contract_text
from tests.validators import test_merge_law as law
from traingate.contracts.registry import CheckType, details_model, entries
from traingate.engine.runner import check_ids
from traingate.reports.html import render_html
from traingate.results import CheckResult, RunResult
from traingate.results.details import CheckDetails, Details
from traingate.validators import build
from traingate.validators.common.details import ReasonCounts


def builtins() -> dict[tuple[str, str], CheckType]:
    return {key: entry for key, entry in entries().items() if entry.origin.startswith("traingate.")}


def models_in(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    """The model and every model its fields hold, however nested (lists, dicts, unions)."""
    seen: set[type[BaseModel]] = set()
    todo: list[Any] = [model]
    while todo:
        annotation = todo.pop()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in seen:
                seen.add(annotation)
                todo += [f.annotation for f in annotation.model_fields.values()]
        elif isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
            todo += typing.get_args(annotation)
    return iter(sorted(seen, key=lambda m: m.__name__))


def test_every_check_type_registers_a_details_model_whose_fields_are_described() -> None:
    assert builtins()
    for key, entry in builtins().items():
        assert entry.details is not Details and issubclass(entry.details, CheckDetails), key
        assert entry.details.model_config.get("extra") == "forbid", key
        for model in models_in(entry.details):
            assert model.__doc__, f"{key}: {model.__name__} has no docstring"
            undescribed = [name for name, field in model.model_fields.items() if not field.description]
            assert undescribed == [], f"{key}: {model.__name__} fields without a description"


def _finalize(kind: str, after: Callable[[Any, Any], Any] | None = None) -> list[CheckResult]:
    """Every check of a merge-law case folded over all its batches and finalized (no rows read again)."""
    contract, batches = law._contexts(kind, [])
    results = []
    for config, check_id in zip(contract.all_checks(), check_ids(contract)):
        validator = build(config, contract.dataset, check_id)
        state = validator.create_state()
        for batch in batches:
            state = validator.add_batch(state, batch)
        results.append(validator.finalize(after(validator, state) if after else state))
    return results


VARIANTS = {  # kind of the rows, checks: keys written only sometimes
    "unverified": ("sft", "  uniqueness:\n    - type: near_duplicates\n      threshold: 0.5\n      size: 2\n"
                          "      verify: true\n      max_verify_rows: 1\n"
                          "    - type: split_leakage\n      threshold: null\n"
                          "  compliance:\n    - type: lineage\n      required: [license]\n"),
    "roles": ("chat", "  format:\n    - type: chat_structure\n"),
    "missing_column": ("reward", "  format:\n    - type: expectation\n      expectation: expect_column_values_to_not_be_null\n"
                                 "      kwargs: {column: nothere}\n"),
    "shed": ("pretraining", "  consistency:\n    - type: agreement\n  uniqueness:\n    - type: semantic_duplicates\n"
                            "      threshold: 0.9\n      block_rows: 64\n"),
}


@pytest.fixture(scope="module")
def finalized() -> list[CheckResult]:
    results = [r for kind in law.CASES for r in _finalize(kind)]
    for name, (kind, checks) in VARIANTS.items():
        with pytest.MonkeyPatch.context() as patch:
            patch.setitem(law.CASES, name, checks)
            patch.setitem(law.KIND_OF, name, kind)
            if name == "roles":  # more unknown role names than the details list one by one
                patch.setattr(law, "_rows", lambda kind, n: [{"messages": [{"role": f"role{i % 30}", "content": "hi"}]}
                                                             for i in range(n)])
            results += _finalize(name, (lambda v, s: v.shed(s)) if name == "shed" else None)
    return results


def test_the_details_every_check_writes_fit_its_model(finalized: list[CheckResult]) -> None:
    covered = set()
    for result in finalized:
        model = entries()[(result.group, result.type)].details
        parsed = model.model_validate(result.details)  # extra="forbid": a key the model lacks fails here
        assert json.dumps(parsed.dump()) == json.dumps(result.details), result.id  # same keys, order and values
        assert details_model(result) == parsed
        covered.add((result.group, result.type))
    assert covered == set(builtins())


def test_the_variants_write_their_optional_keys(finalized: list[CheckResult]) -> None:
    keys = {key for result in finalized for key in result.details}
    assert {"not_verified", "unknown_roles", "unknown_roles_other", "synthetic_rows", "same_prompt_different_content",
            "memory_cap", "sampled", "rate_95", "observed_values", "sample", "mix", "distinct_1"} <= keys
    assert any(r.type == "split_leakage" and r.details["threshold"] is None for r in finalized)  # null, not absent
    assert any(r.type == "expectation" and r.details == {} for r in finalized)  # GX not asked: no column


def test_a_run_adds_masked_excerpts_and_an_errored_check_parses_untyped(run: Callable[..., RunResult]) -> None:
    checks = ("  compliance:\n    - type: secrets\n    - type: pii\n      recognizers: patterns\n"
              "    - type: pii\n      name: nowhere\n      recognizers: patterns\n      fields: [context]\n")
    rows = [{"prompt": "mail jo@acme.com", "response": "key AKIAIOSFODNN7EXAMPLE"}, {"prompt": "hi", "response": "ok"}]
    result = run(contract_text("sft", checks), rows)
    by_id = {c.id: c for c in result.checks}
    assert {"masked_excerpts"} <= set(by_id["compliance.secrets"].details) & set(by_id["compliance.pii"].details)
    for check in result.checks:
        model = entries()[(check.group, check.type)].details
        if check.status == "errored":
            assert type(details_model(check)) is Details and set(check.details) == {"masked_excerpts"}
        else:
            assert type(details_model(check)) is model
    assert by_id["nowhere"].status == "errored"
    assert "compliance.pii" in render_html(result)


def test_a_model_that_draws_a_section_must_declare_what_the_section_reads() -> None:
    with pytest.raises(TypeError, match="ReasonCounts, which reads by_reason"):
        type("Renamed", (ReasonCounts,), {"__annotations__": {"reasons": dict[str, int]}, "__module__": __name__})
    with pytest.raises(TypeError, match="it is dict\\[str, float\\]"):
        type("Retyped", (ReasonCounts,), {"__annotations__": {"by_reason": dict[str, float]}, "__module__": __name__})
