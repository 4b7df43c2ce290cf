"""Metrics of an embedded expectation, in the names GX's metrics carry, judged by GX's own `_validate`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field

from traingate.contracts.expectations import SUPPORTED, ExpectationCheck
from traingate.results.details import Absent, CheckDetails, Part

if TYPE_CHECKING:
    from traingate.validators.expectations.state import ExpectationState

# What each expectation needs folded besides row counts.
MOMENTS = {f"expect_column_{m}_to_be_between" for m in ("mean", "min", "max", "sum", "stdev")}
SAMPLED = {name for name, (family, _, _) in SUPPORTED.items() if family == "sampled"}
BY_HASH = {"expect_column_values_to_be_unique", "expect_column_unique_value_count_to_be_between",
           "expect_column_proportion_of_unique_values_to_be_between"}
BY_VALUE = {"expect_column_distinct_values_to_be_in_set", "expect_column_distinct_values_to_contain_set",
            "expect_column_distinct_values_to_equal_set", "expect_column_most_common_value_to_be_in_set"}


RAW_VALUE_KEYS = ("partial_unexpected_list", "partial_unexpected_counts", "unexpected_list", "unexpected_index_list")


class ObservedValue(Part):
    """A value of the data an expectation observed (masked like any excerpt when a guarding check runs)."""

    excerpt: str = Field(description="The value, as text (repr for a value that is not a string).")


class ExpectationSample(Part):
    """The seeded sample a quantile or median expectation was computed on."""

    rows: int = Field(description="Values in the sample.")
    of: int = Field(description="Values seen.")
    seed: int = Field(description="The sample's seed.")
    exact: bool = Field(description="Whether the sample held every value.")


class ExpectationDetails(CheckDetails):
    """An embedded Great Expectations expectation: its name and arguments and GX's result. Empty when GX was not
    asked (the column is in no row, or the check errored)."""

    expectation: Absent[str] = Field(None, description="The GX expectation, e.g. expect_column_values_to_be_between.")
    kwargs: Absent[dict[str, Any]] = Field(None, description="Its arguments, as the contract gave them.")
    gx_result: Absent[dict[str, Any]] = Field(None, description="The `result` of GX's own validation (SUMMARY format), "
                                              "without the data's values (the samples carry them).")
    observed_values: Absent[list[ObservedValue]] = Field(None, description="The values observed, for expectations "
                                                         "about a column's distinct or most common values.")
    sample: Absent[ExpectationSample] = Field(None, description="The seeded sample of a median or quantile expectation.")


@dataclass
class Verdict:
    status: str
    metric: str
    value: float | None
    findings: int
    message: str
    details: ExpectationDetails = field(default_factory=ExpectationDetails)
    error: str | None = None


def _plain(value: Any) -> Any:
    """GX results hold numpy scalars and sets; the run result holds JSON."""
    return json.loads(json.dumps(value, default=lambda v: v.item() if hasattr(v, "item") else sorted(v, key=repr)
                                 if isinstance(v, (set, frozenset)) else str(v)))


def _distinct_metrics(cfg: ExpectationCheck, state: ExpectationState) -> dict[str, Any]:
    counts: dict[Any, int] = dict(state.distinct.by_value or {})
    seen = set(counts)
    wanted = cfg.kwargs.get("value_set", [])
    outside = sorted((v for v in seen if v not in wanted), key=repr)
    absent = sorted((v for v in wanted if v not in seen), key=repr)
    top = max(counts.values(), default=0)
    return {"column.distinct_values": seen, "column.distinct_values.not_in_set": outside,
            "column.distinct_values.not_in_set.count": len(outside),
            "column.distinct_values.missing_from_column": absent,
            "column.distinct_values.missing_from_column.count": len(absent),
            "column.most_common_value": sorted((v for v, n in counts.items() if n == top), key=repr)}


def _sample_metrics(cfg: ExpectationCheck, state: ExpectationState) -> dict[str, Any]:
    assert state.sample is not None
    values = state.sample.values
    if not len(values):
        return {"column.median": None, "column.quantile_values": None}
    ranges = cfg.kwargs.get("quantile_ranges", {}).get("quantiles", [])
    method: Any = cfg.kwargs.get("allow_relative_error") or "nearest"  # GX's pandas interpolation names
    return {"column.median": float(np.median(values)),
            "column.quantile_values": [float(q) for q in np.quantile(values, ranges, method=method)] if ranges else []}


def gather_metrics(cfg: ExpectationCheck, state: ExpectationState, map_metric: str | None) -> dict[str, Any]:
    name = cfg.expectation
    nonnull = state.rows - state.missing
    metrics: dict[str, Any] = {"table.row_count": state.rows, "table.columns": [cfg.kwargs.get("column")]
                               if state.present else [], "column_values.nonnull.unexpected_count": state.missing,
                               "column_values.nonnull.unexpected_values": [],
                               "column.non_null_proportion": nonnull / state.rows if state.rows else None}
    if map_metric is not None and map_metric != "column_values.nonnull":
        unexpected = state.distinct.duplicated_rows() if name in BY_HASH else state.unexpected
        metrics[f"{map_metric}.unexpected_count"] = unexpected
        metrics[f"{map_metric}.unexpected_values"] = [s["excerpt"] for s in state.samples.samples()]
    if name in MOMENTS:
        metrics.update(state.moments.metrics())
    if name in BY_HASH:
        distinct = len(state.distinct.by_hash)
        metrics["column.distinct_values.count"] = distinct
        metrics["column.unique_proportion"] = distinct / nonnull if nonnull else 0.0
    if name in BY_VALUE:
        metrics.update(_distinct_metrics(cfg, state))
    if name in SAMPLED:
        metrics.update(_sample_metrics(cfg, state))
    return metrics


def judge_expectation(cfg: ExpectationCheck, state: ExpectationState) -> Verdict:
    from great_expectations.expectations.registry import get_expectation_impl

    column = cfg.kwargs.get("column")
    if column is not None and not state.present and cfg.expectation != "expect_column_to_exist":
        return Verdict("failed", "column_present", 0.0, 0, f"column {column!r} is not in the data")
    if cfg.expectation in BY_VALUE and state.distinct.overflow:
        reason = "too_many_distinct_values: the column holds more than 100,000 distinct values"
        return Verdict("errored", "", None, 0, reason, error=reason)
    expectation = get_expectation_impl(cfg.expectation)(**cfg.kwargs)
    map_metric = getattr(expectation, "map_metric", None)
    metrics = gather_metrics(cfg, state, map_metric)
    outcome = expectation._validate(metrics, {"result_format": {"result_format": "SUMMARY"}})
    success = bool(outcome["success"])
    result = _plain(outcome.get("result", {}))
    return _verdict(cfg, state, success, result, map_metric)


def _verdict(cfg: ExpectationCheck, state: ExpectationState, success: bool, result: dict[str, Any],
             map_metric: str | None) -> Verdict:
    status = "passed" if success else "failed"
    for key in RAW_VALUE_KEYS:  # the data's own values: the samples carry them, masked when a guarding check runs
        result.pop(key, None)
    if map_metric is not None:
        unexpected = int(result.get("unexpected_count") or 0)
        nonnull = state.rows - state.missing
        share = unexpected / nonnull if nonnull else 0.0
        base = state.rows if map_metric == "column_values.nonnull" else nonnull
        message = (f"{unexpected} of {base} {'' if base == state.rows else 'non-null '}values unexpected "
                   f"({unexpected / base if base else 0:.2%}); mostly {cfg.kwargs.get('mostly', 1.0)}")
        return Verdict(status, "unexpected_share", share, unexpected, message, _details(cfg, result))
    observed = result.get("observed_value")
    message = f"observed {observed!r}" if "observed_value" in result else \
        f"column {cfg.kwargs.get('column')!r} is {'' if state.present else 'not '}in the data"
    observed_values, sample = None, None
    if cfg.expectation in BY_VALUE and isinstance(observed, list):  # values of the data: shown as maskable excerpts
        observed_values = [ObservedValue(excerpt=v if isinstance(v, str) else repr(v)) for v in result.pop("observed_value")]
        message = f"observed {len(observed)} value(s), listed in details.observed_values"
    if cfg.expectation in SAMPLED and state.sample is not None:
        kept, seen = len(state.sample.values), state.sample.seen
        seed = cfg.sample.seed if cfg.sample else 0
        sample = ExpectationSample(rows=kept, of=seen, seed=seed, exact=kept == seen)
        message += (f" on all {seen} values" if kept == seen else
                    f" on a seeded sample of {kept} of {seen} values (seed {seed})")
    value = float(observed) if isinstance(observed, (int, float)) and not isinstance(observed, bool) else None
    return Verdict(status, cfg.expectation.removeprefix("expect_"), value, 0 if success else 1, message,
                   _details(cfg, result, observed_values, sample))


def _details(cfg: ExpectationCheck, result: dict[str, Any], observed_values: list[ObservedValue] | None = None,
             sample: ExpectationSample | None = None) -> ExpectationDetails:
    return ExpectationDetails(expectation=cfg.expectation, kwargs=_plain(cfg.kwargs), gx_result=result,
                              observed_values=observed_values, sample=sample)
