"""Great Expectations Core 1.x expectations a contract embeds by their GX names and arguments.

Declaration only: the argument models below mirror GX's own, so a typo is a located contract error
before any data is read; GX itself is imported only when results are judged."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from traingate import empty
from traingate.contracts.gx_args import (
    AggregateArgs,
    BetweenArgs,
    ColumnArgs,
    DistinctSetArgs,
    GxArgs,
    LengthEqualArgs,
    MapArgs,
    MostCommonArgs,
    NotRegexListArgs,
    QuantileArgs,
    RegexArgs,
    RegexListArgs,
    RowCountArgs,
    RowCountEqualArgs,
    SetArgs,
)
from traingate.contracts.model import CheckConfig, SampleSpec

SAMPLE_ROWS = 100_000  # default seeded sample for quantiles and medians, which no mergeable state gives exactly


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
    kwargs: dict[str, Any] = Field(default_factory=empty.dict_, description="The expectation's GX arguments.")
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
