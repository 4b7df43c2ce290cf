"""The arguments of the Great Expectations Core 1.x expectations a contract can embed, mirroring GX's own
models (declaration only), so a misspelt argument is a located contract error before any data is read."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from traingate.contracts.model import StrictModel


class GxArgs(StrictModel):
    """Arguments every GX expectation accepts; GX's presentation arguments are kept and ignored."""

    meta: dict[str, Any] | None = None
    notes: str | list[str] | None = None
    description: str | None = None
    result_format: Any = None
    catch_exceptions: bool | None = None
    row_condition: Any = None
    condition_parser: Any = None

    @model_validator(mode="after")
    def _no_row_condition(self) -> GxArgs:
        if self.row_condition is not None or self.condition_parser is not None:
            raise ValueError("row_condition is not supported in an embedded expectation; filter the data first")
        return self


class ColumnArgs(GxArgs):
    column: str = Field(min_length=1)


class MapArgs(ColumnArgs):
    mostly: float = Field(1.0, ge=0, le=1, description="Smallest share of non-null values that must pass.")


class RegexArgs(MapArgs):
    regex: str

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"the regex does not compile: {exc}") from exc
        return value


class RegexListArgs(MapArgs):
    regex_list: list[str] = Field(min_length=1)
    match_on: Literal["any", "all"] = "any"


class NotRegexListArgs(MapArgs):
    regex_list: list[str] = Field(min_length=1)


class SetArgs(MapArgs):
    value_set: list[Any]


class Bounds(StrictModel):
    min_value: float | None = None
    max_value: float | None = None
    strict_min: bool = False
    strict_max: bool = False

    @model_validator(mode="after")
    def _a_bound(self) -> Bounds:
        if self.min_value is None and self.max_value is None:
            raise ValueError("give min_value, max_value or both")
        return self


class BetweenArgs(MapArgs, Bounds):
    pass


class LengthEqualArgs(MapArgs):
    value: int = Field(ge=0)


class RowCountArgs(GxArgs, Bounds):
    pass


class RowCountEqualArgs(GxArgs):
    value: int = Field(ge=0)


class AggregateArgs(ColumnArgs, Bounds):
    pass


class DistinctSetArgs(ColumnArgs):
    value_set: list[Any]


class MostCommonArgs(ColumnArgs):
    value_set: list[Any]
    ties_okay: bool | None = None


class QuantileRanges(StrictModel):
    quantiles: list[float] = Field(min_length=1)
    value_ranges: list[list[float | None]]

    @model_validator(mode="after")
    def _paired(self) -> QuantileRanges:
        if len(self.quantiles) != len(self.value_ranges) or any(len(r) != 2 for r in self.value_ranges):
            raise ValueError("value_ranges needs one [min, max] pair per quantile")
        return self


class QuantileArgs(ColumnArgs):
    quantile_ranges: QuantileRanges
    allow_relative_error: bool | Literal["linear", "lower", "higher", "midpoint", "nearest"] = False
