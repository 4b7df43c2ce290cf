"""Great Expectations Core 1.x expectations a contract embeds by their GX names and arguments.

Declaration only: the argument models below mirror GX's own, so a typo is a located contract error
before any data is read; GX itself is imported only when results are judged."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from traingate.contracts.model import CheckConfig, SampleSpec, StrictModel

SAMPLE_ROWS = 100_000  # default seeded sample for quantiles and medians, which no mergeable state gives exactly


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


Family = Literal["map", "aggregate", "sampled"]
# GX name -> (how traingate computes it, the quality dimension its result is reported under, its arguments)
SUPPORTED: dict[str, tuple[Family, str, type[GxArgs]]] = {
    "expect_column_values_to_not_be_null": ("map", "format", MapArgs),
    "expect_column_values_to_be_null": ("map", "format", MapArgs),
    "expect_column_values_to_match_regex": ("map", "format", RegexArgs),
    "expect_column_values_to_not_match_regex": ("map", "format", RegexArgs),
    "expect_column_values_to_match_regex_list": ("map", "format", RegexListArgs),
    "expect_column_values_to_not_match_regex_list": ("map", "format", NotRegexListArgs),
    "expect_column_values_to_be_in_set": ("map", "format", SetArgs),
    "expect_column_values_to_not_be_in_set": ("map", "format", SetArgs),
    "expect_column_values_to_be_between": ("map", "format", BetweenArgs),
    "expect_column_value_lengths_to_be_between": ("map", "format", BetweenArgs),
    "expect_column_value_lengths_to_equal": ("map", "format", LengthEqualArgs),
    "expect_column_values_to_be_json_parseable": ("map", "format", MapArgs),
    "expect_column_values_to_be_unique": ("map", "uniqueness", MapArgs),
    "expect_column_to_exist": ("aggregate", "format", ColumnArgs),
    "expect_table_row_count_to_be_between": ("aggregate", "quantity", RowCountArgs),
    "expect_table_row_count_to_equal": ("aggregate", "quantity", RowCountEqualArgs),
    "expect_column_mean_to_be_between": ("aggregate", "coverage", AggregateArgs),
    "expect_column_min_to_be_between": ("aggregate", "coverage", AggregateArgs),
    "expect_column_max_to_be_between": ("aggregate", "coverage", AggregateArgs),
    "expect_column_sum_to_be_between": ("aggregate", "coverage", AggregateArgs),
    "expect_column_stdev_to_be_between": ("aggregate", "coverage", AggregateArgs),
    "expect_column_proportion_of_non_null_values_to_be_between": ("aggregate", "format", AggregateArgs),
    "expect_column_unique_value_count_to_be_between": ("aggregate", "uniqueness", AggregateArgs),
    "expect_column_proportion_of_unique_values_to_be_between": ("aggregate", "uniqueness", AggregateArgs),
    "expect_column_distinct_values_to_be_in_set": ("aggregate", "coverage", DistinctSetArgs),
    "expect_column_distinct_values_to_contain_set": ("aggregate", "coverage", DistinctSetArgs),
    "expect_column_distinct_values_to_equal_set": ("aggregate", "coverage", DistinctSetArgs),
    "expect_column_most_common_value_to_be_in_set": ("aggregate", "coverage", MostCommonArgs),
    "expect_column_median_to_be_between": ("sampled", "coverage", AggregateArgs),
    "expect_column_quantile_values_to_be_between": ("sampled", "coverage", QuantileArgs),
}
# GX Core 1.x expectations traingate cannot run (they need SQL, row order, several columns or a model).
KNOWN_UNSUPPORTED: tuple[str, ...] = (
    "expect_column_kl_divergence_to_be_less_than", "expect_column_pair_values_a_to_be_greater_than_b",
    "expect_column_pair_values_to_be_equal", "expect_column_pair_values_to_be_in_set", "expect_column_type_to_be",
    "expect_column_value_z_scores_to_be_less_than", "expect_column_values_to_be_dateutil_parseable",
    "expect_column_values_to_be_decreasing", "expect_column_values_to_be_in_type_list",
    "expect_column_values_to_be_increasing", "expect_column_values_to_be_of_type",
    "expect_column_values_to_match_json_schema", "expect_column_values_to_match_like_pattern",
    "expect_column_values_to_match_like_pattern_list", "expect_column_values_to_match_strftime_format",
    "expect_column_values_to_not_be_outliers", "expect_column_values_to_not_match_like_pattern",
    "expect_column_values_to_not_match_like_pattern_list", "expect_compound_columns_to_be_unique",
    "expect_multicolumn_sum_to_equal", "expect_multicolumn_values_to_be_equal", "expect_query_results_to_match_comparison",
    "expect_select_column_values_to_be_unique_within_record", "expect_table_column_count_to_be_between",
    "expect_table_column_count_to_equal", "expect_table_columns_to_match_ordered_list",
    "expect_table_columns_to_match_set", "expect_table_row_count_to_equal_other_table", "unexpected_rows_expectation",
)


def unsupported_reason(name: str) -> str | None:
    """Why an expectation name cannot be embedded, or None when it can."""
    if name in SUPPORTED:
        return None
    if name in KNOWN_UNSUPPORTED:
        return (f"Great Expectations expectation {name!r} is not supported by traingate "
                "(it needs SQL, row order, several columns or a model)")
    return f"unknown Great Expectations expectation {name!r}"


class ExpectationCheck(CheckConfig):
    """One embedded GX expectation; its result is GX's own success logic applied to traingate's counts."""

    summary: ClassVar[str] = "A Great Expectations Core 1.x expectation, by its GX name and arguments."
    type: Literal["expectation"]
    expectation: str = Field(description="The GX expectation's name, e.g. expect_column_values_to_match_regex.")
    kwargs: dict[str, Any] = Field(default_factory=dict, description="The expectation's GX arguments.")
    sample: SampleSpec | None = Field(None, description="Seeded sample for medians and quantiles "
                                      f"(default {SAMPLE_ROWS} rows; exact when the data is smaller).")

    @model_validator(mode="after")
    def _known(self) -> ExpectationCheck:
        reason = unsupported_reason(self.expectation)
        if reason is not None:
            raise ValueError(reason)
        _, group, args = SUPPORTED[self.expectation]
        if group != self.group:
            raise ValueError(f"{self.expectation} reports under group {group!r}, not {self.group!r}")
        if any(getattr(self, k) is not None for k in ("max_count", "max_rate", "min_share")):
            raise ValueError("an expectation takes GX's `mostly`, not max_count / max_rate / min_share")
        args.model_validate(self.kwargs)
        return self

    def args(self) -> GxArgs:
        return SUPPORTED[self.expectation][2].model_validate(self.kwargs)


class FormatExpectation(ExpectationCheck):
    group: ClassVar[str] = "format"


class UniquenessExpectation(ExpectationCheck):
    group: ClassVar[str] = "uniqueness"


class QuantityExpectation(ExpectationCheck):
    group: ClassVar[str] = "quantity"


class CoverageExpectation(ExpectationCheck):
    group: ClassVar[str] = "coverage"


EXPECTATION_CHECKS: tuple[type[ExpectationCheck], ...] = (
    FormatExpectation, UniquenessExpectation, QuantityExpectation, CoverageExpectation,
)
