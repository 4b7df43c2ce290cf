"""The run result is described field by field, and its JSON Schema (`run_json_schema`, what `traingate
schema --run` prints) accepts the runs traingate writes."""

from __future__ import annotations

import inspect
import json

from jsonschema import Draft202012Validator
from pydantic import BaseModel

from tests.conftest import ROOT
from traingate.results import dataset, run
from traingate.results import model as results
from traingate.results.model import SCHEMA_VERSION, run_json_schema


def result_models() -> list[type[BaseModel]]:
    """The models of results/model.py and of the two modules it names models from."""
    return [cls for module in (results, dataset, run) for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, BaseModel) and cls.__module__ == module.__name__ and cls is not results.Model]


def test_every_field_of_every_result_model_has_a_description() -> None:
    models = result_models()
    assert results.RunResult in models and results.CheckResult in models and len(models) >= 14
    for model in models:
        assert model.__doc__ and model.__doc__ != results.Model.__doc__, f"{model.__name__} has no docstring"
        undescribed = [name for name, field in model.model_fields.items() if not field.description]
        assert undescribed == [], f"{model.__name__}: fields without a description"


def test_the_published_schema_describes_every_property_and_accepts_a_run() -> None:
    schema = run_json_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema") and SCHEMA_VERSION in schema["$id"]
    for name, definition in [("RunResult", schema), *schema["$defs"].items()]:
        for prop, spec in definition.get("properties", {}).items():
            assert spec.get("description"), f"{name}.{prop}"
    run = json.loads((ROOT / "tests" / "golden" / "sft_run.json").read_text(encoding="utf-8"))
    Draft202012Validator(schema).validate(run)
    run["checks"][0]["status"] = "fine"
    assert not Draft202012Validator(schema).is_valid(run)
