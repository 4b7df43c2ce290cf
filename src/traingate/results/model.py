"""The run result: what every reporter presents and what `--json` writes. Field names are fixed; every field
is described, and `run_json_schema()` publishes the JSON Schema of a run (a check's `details` follow the model
its check type registered: traingate.contracts.registry.details_model).

This module holds what a check produces (its result, samples, threshold, limits); the data's side
(results/dataset.py) and the run's (results/run.py) load on first use of one of their names from here
(PEP 562), so a command that builds no run (`lint`) does not define their models. The annotations are
objects, not strings (no `from __future__ import annotations`): pydantic would evaluate every string."""

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from traingate import empty

if TYPE_CHECKING:
    from traingate.results.dataset import CacheInfo, DatasetInfo, Fault, FileInfo, SkippedFile
    from traingate.results.run import (
        ContractInfo,
        Distribution,
        Gate,
        Histogram,
        RunResult,
        SideFile,
        Sketch,
        run_json_schema,
    )

SCHEMA_VERSION = "1.3"
Status = Literal["passed", "failed", "errored", "skipped"]
Verdict = Literal["passed", "warned", "failed", "errored"]
_ELSEWHERE = dict.fromkeys(("FileInfo", "Fault", "CacheInfo", "SkippedFile", "DatasetInfo"), "dataset") | dict.fromkeys(
    ("Histogram", "Distribution", "Sketch", "SideFile", "ContractInfo", "Gate", "RunResult", "run_json_schema"), "run")
__all__ = ["SCHEMA_VERSION", "CacheInfo", "CheckResult", "ContractInfo", "DatasetInfo", "Distribution", "Fault",
           "FileInfo", "Gate", "Histogram", "Limit", "Location", "Model", "RunResult", "Sample", "SideFile", "Sketch",
           "SkippedFile", "Status", "Threshold", "Verdict", "run_json_schema"]


class Model(BaseModel):
    # Validators and serializers are built on first use: `lint` and `--help` use none of these models.
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Sample(Model):
    """One failing row, capped and reproducible (chosen by a seeded row hash)."""

    file: str = Field(description="Data file the row came from.")
    line: int = Field(description="1-based line (JSONL/CSV; the line a JSON array item starts on), item (a JSON "
                      "array whose items share lines) or row (Parquet/Arrow).")
    unit: str = Field("line", description="What `line` counts: line, item or row.")
    field: str | None = Field(None, description="Logical field holding the finding.")
    reason: str = Field(description="Short reason code, e.g. empty_turn.")
    excerpt: str = Field("", description="Text around the finding, truncated; never more than 400 characters.")
    span: tuple[int, int] | None = Field(None, description="Offending span inside `excerpt` (start, end).")
    value: float | None = Field(None, description="The measured value behind the finding (since 1.2): a token or "
                                "character count, an entity score, a similarity.")
    measure: str | None = Field(None, description="What `value` measures, as a unit: tokens, chars, score, similarity.")
    role: str | None = Field(None, description="The role of the chat turn holding the finding (user, assistant, ...).")
    turn: int | None = Field(None, description="0-based index of the chat turn holding the finding.")
    recognizer: str | None = Field(None, description="What found it: a PII recognizer, a secret rule.")


class Location(Model):
    """Where a row is: its file and line (or item, or row, as `unit` says)."""

    file: str = Field(description="Data file the row came from.")
    line: int = Field(description="1-based line, item or row of the file, as `unit` says.")
    unit: str = Field("line", description="What `line` counts: line, item or row.")


class Threshold(Model):
    """The limit a check's metric was compared with."""

    kind: Literal["max_count", "max_rate", "min_share", "min", "none"] = Field(
        description="max_count: most findings allowed; max_rate: largest share of rows with a finding; min_share: "
        "smallest share of rows without one (an expectation's `mostly`); min: smallest value of the metric; none: the "
        "check fails on any finding.")
    value: float = Field(description="The limit (0 for none).")


class CheckResult(Model):
    """What one check of the contract found."""

    id: str = Field(description="Unique id in the run: the check's name or group.type.")
    group: str = Field(description="Quality dimension: format, quantity, ...")
    type: str = Field(description="The check type, e.g. exact_duplicates.")
    severity: Literal["error", "warn", "info"] = Field(
        description="What a failure does to the gate: error fails it, warn fails it under fail_on: warn (else "
        "warns), info never does.")
    status: Status = Field(description="passed, failed, errored (the check could not run: see `error`) or skipped.")
    description: str = Field("", description="The check's description from the contract, else its type's summary.")
    metric: str = Field("", description="Name of the metric compared with the threshold.")
    value: float | None = Field(None, description="The metric's value.")
    threshold: Threshold | None = Field(None, description="The limit the metric was compared with (none for a "
                                        "check that judges otherwise).")
    rows: int = Field(0, description="Rows the check looked at.")
    findings: int = Field(0, description="Rows with at least one finding.")
    rate: float | None = Field(None, description="findings / rows.")
    message: str = Field("", description="One sentence a reviewer reads.")
    details: dict[str, Any] = Field(default_factory=empty.dict_, description="Counts per reason, clusters and other "
                                    "figures, as the check type's details model describes them (`traingate checks`, "
                                    "docs); kept as JSON so that masking and older runs read back alike.")
    samples: list[Sample] = Field(default_factory=empty.list_, description="Failing rows chosen by a seeded row hash (the "
                                  "same rows for any split of the data): each reason's row of smallest hash, then the "
                                  "rows of smallest hash up to 20 in all; with more reasons, one row for each of at "
                                  "most 64.")
    first_failure: Location | None = Field(None, description="The first failing row in data order (files in order, "
                                           "then line), for checks that flag rows one by one.")
    error: str | None = Field(None, description="Reason code and message when status is errored.")


class Limit(Model):
    """A bound a check puts on a distribution's values."""

    check: str = Field(description="Id of the check that sets it.")
    kind: Literal["min", "max"] = Field(description="min: values below it fail; max: values above it fail.")
    value: float = Field(description="The bound.")


def __getattr__(name: str) -> Any:
    """A model of the data's or the run's side, from its module the first time it is read here."""
    if name not in _ELSEWHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"traingate.results.{_ELSEWHERE[name]}"), name)
    globals()[name] = value
    return value
