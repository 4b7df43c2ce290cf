"""Drift against a reference: per feature, how far this data's distribution stands from a reference run's
(its run JSON's sketches) or a reference dataset's (read and sketched alike). State: one sketch per feature
(validators/common/sketches.py), merged exactly. The check fails when more features moved than its
threshold allows (none by default); drift_compare.py says what "moved" means."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator

from traingate.contracts.model import CheckConfig
from traingate.data.batch import BatchContext
from traingate.errors import ContractError
from traingate.results.model import CheckResult, Sketch
from traingate.validators.common.base import Validator, default_text_fields
from traingate.validators.common.details import DriftTable
from traingate.validators.common.details_parts import DriftRow
from traingate.validators.common.registry import check
from traingate.validators.common.sketch_features import is_length, observe
from traingate.validators.common.sketches import AnySketch, merge_sketches
from traingate.validators.common.thresholds import judge
from traingate.validators.consistency import drift_reference as ref
from traingate.validators.consistency.drift_compare import Limits, table


class DriftCheck(CheckConfig):
    summary: ClassVar[str] = "features whose distribution moved from a reference run or dataset (PSI, JS, KS, Wasserstein)"
    type: Literal["drift"]
    reference: str = Field(description="A run JSON written by `validate --json` (its sketches), or reference data "
                           "(read like the data); relative to the contract's folder.")
    features: list[str] | None = Field(None, min_length=1, description="Features to compare: chars.<field>, "
                                       "tokens.<field>, turns, language, output_format, topic, task_type, a column; "
                                       "default chars.<field> of the kind's text fields.")
    psi: float = Field(0.25, gt=0, description="PSI at or over this flags a feature (a difference the test finds).")
    psi_warn: float = Field(0.1, ge=0, description="PSI at or over this (under `psi`) is noted in the table.")
    js: float = Field(0.1, gt=0, le=1, description="Jensen-Shannon distance (base 2) at or over this flags a "
                      "categorical feature.")
    ks: float = Field(0.1, gt=0, le=1, description="KS statistic at or over this flags a numeric feature.")
    p_value: float = Field(0.05, gt=0, le=1, description="A feature is flagged only when its test (KS for numbers, "
                           "chi-square for labels) has a p-value under this: the difference is not sampling noise.")
    wasserstein: float = Field(0.1, gt=0, description="Wasserstein distance over the reference's standard "
                               "deviation at or over this flags a numeric feature.")

    @field_validator("reference")
    @classmethod
    def _reference_usable(cls, value: str, info: ValidationInfo) -> str:
        """Found, and a run JSON with sketches when it looks like one; checked where a contract file loads (a
        contract given as text has no folder: its check is built before the run, in the folder it is given)."""
        path = _path(value, info)
        if path is not None:
            ref.check_exists(path, value)
            if ref.is_run_json(path):
                ref.run_sketches(path)
        return value

    @field_validator("features")
    @classmethod
    def _sketches_held(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        """A reference run holds a sketch of every feature named."""
        given = info.data.get("reference")
        path = _path(given, info) if value and given is not None else None
        if path and ref.is_run_json(path) and (missing := ref.lacking(ref.run_sketches(path), value or [])):
            raise ValueError(f"the reference run {given!r} holds no sketch of {', '.join(missing)}; "
                                 + ref.NO_SKETCH_HINT.format(features=", ".join(missing)))
        return value


def _path(reference: str, info: ValidationInfo) -> str | None:
    """The reference's path from the contract file's folder; None for a contract not read from a file."""
    file = (info.context or {}).get("contract_file")
    return ref.resolve_path(reference, os.path.dirname(file)) if file and os.path.isfile(file) else None


class DriftDetails(DriftTable):
    """The drift table of a `drift` check."""

    reference: str = Field(description="The reference as the contract names it.")
    reference_kind: Literal["run", "data"] = Field(description="run: a run JSON's sketches; data: a dataset read now.")
    features: list[DriftRow] = Field(description="One row per feature compared, in the order of `features`.")

    def dump(self) -> dict[str, Any]:
        out = self.model_dump(exclude={"features"})
        out["features"] = [row.dump() for row in self.features]
        return out


@check("drift", group="consistency", options=DriftCheck, details=DriftDetails)
class DriftValidator(Validator[DriftCheck, dict[str, AnySketch]]):

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.path = ref.resolve_path(self.config.reference, self.base_dir)
        self.features = self.config.features or [f"chars.{f}" for f in default_text_fields(self.spec)]
        try:
            ref.check_exists(self.path, self.config.reference)
            missing = ref.lacking(ref.run_sketches(self.path), self.features) if ref.is_run_json(self.path) else []
        except ValueError as exc:
            raise ContractError(f"{self.check_id}: {exc}") from None
        if missing:
            raise ContractError(f"{self.check_id}: the reference run {self.config.reference!r} holds no sketch of "
                                f"{', '.join(missing)}", hint=ref.NO_SKETCH_HINT.format(features=", ".join(missing)))

    def columns(self) -> set[str]:
        named = {self.spec.column(f).split(".")[0] for f in self.features if not is_length(f)}
        return super().columns() | named

    def reads(self) -> list[str]:
        return list(dict.fromkeys(f.partition(".")[2] for f in self.features if is_length(f) and f != "turns"))

    def create_state(self) -> dict[str, AnySketch]:
        return {}

    def add_batch(self, state: dict[str, AnySketch], batch: BatchContext) -> dict[str, AnySketch]:
        return observe(state, batch, self.features)

    def merge_states(self, a: dict[str, AnySketch], b: dict[str, AnySketch]) -> dict[str, AnySketch]:
        return merge_sketches(a, b)

    def reference(self) -> tuple[dict[str, Sketch], str]:
        if ref.is_run_json(self.path):
            return ref.run_sketches(self.path), "run"
        return ref.fold_dataset(self.path, self.spec, self.features), "data"

    def finalize(self, state: dict[str, AnySketch], rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        reference, kind = self.reference()
        current = {name: sketch.to_model(name) for name, sketch in state.items()}
        compared, missing = table(reference, current, self.features, self.drift_limits())
        if missing:  # a feature this data or the reference cannot speak for: nothing to judge it by
            problem = "; ".join(missing)
            return self.result(status="errored", error=problem, message=problem, rows=len(compared))
        moved = [r for r in compared if r.flagged]
        verdict = judge(self.config, len(compared), len(moved))
        details = DriftDetails(reference=self.config.reference, reference_kind=kind, features=compared)
        named = ", ".join(f"{r.feature} ({', '.join(f'{k} {_measure(r, k):.3g}' for k in r.flagged_by)})" for r in moved)
        message = (f"{len(moved)} of {len(compared)} features moved from the reference: {named}" if moved
                   else f"none of {len(compared)} features moved from the reference")
        return self.result(status=verdict.status, metric="features_moved", value=len(moved),
                           threshold=verdict.threshold, rows=len(compared), findings=len(moved),
                           rate=len(moved) / len(compared) if compared else None, message=message,
                           details=details.dump())

    def drift_limits(self) -> Limits:
        c = self.config
        return Limits(c.psi, c.psi_warn, c.js, c.ks, c.p_value, c.wasserstein)


def _measure(row: DriftRow, key: str) -> float:
    value = row.wasserstein_normalised if key == "wasserstein" else getattr(row, key)
    return float(value or 0.0)
