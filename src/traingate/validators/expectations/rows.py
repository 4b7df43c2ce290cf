"""Row-level Great Expectations conditions over one Arrow column, with GX's pandas semantics: nulls (and NaN)
are missing, regexes are Python `re.search` over `str(value)` (the
`regex` module, each value under a time bound past which the check errs), sets compare with Python equality."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from traingate.contracts.gx_args import GxArgs
from traingate.contracts.regexes import search_bounded

Predicate = Callable[[list[Any], GxArgs], "np.ndarray"]  # non-null values -> True where unexpected


def missing(array: pa.Array) -> np.ndarray:
    """Rows GX counts as missing: null, or NaN in a float column (pandas reads both as NaN)."""
    nulls = array.is_null()
    if pa.types.is_floating(array.type):
        nulls = pc.or_(nulls, pc.fill_null(pc.is_nan(array), False))
    return np.asarray(nulls.to_numpy(zero_copy_only=False), dtype=bool)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _searches(patterns: list[str], values: list[Any]) -> list[list[bool]]:
    import regex  # the gx extra

    compiled = [regex.compile(p) for p in patterns]  # `re` semantics, each value under a time bound
    return [[search_bounded(c, _as_text(v)) for c in compiled] for v in values]


def _match_regex(values: list[Any], args: Any) -> np.ndarray:
    import regex  # the gx extra

    found = regex.compile(args.regex)
    return np.array([not search_bounded(found, _as_text(v)) for v in values], dtype=bool)


def _not_match_regex(values: list[Any], args: Any) -> np.ndarray:
    return ~_match_regex(values, args)


def _match_regex_list(values: list[Any], args: Any) -> np.ndarray:
    combine = any if args.match_on == "any" else all
    return np.array([not combine(hits) for hits in _searches(args.regex_list, values)], dtype=bool)


def _not_match_regex_list(values: list[Any], args: Any) -> np.ndarray:
    return np.array([any(hits) for hits in _searches(args.regex_list, values)], dtype=bool)


def _member(value: Any, allowed: list[Any]) -> bool:
    try:
        return value in allowed
    except TypeError:
        return False


def _in_set(values: list[Any], args: Any) -> np.ndarray:
    return np.array([not _member(v, args.value_set) for v in values], dtype=bool)


def _not_in_set(values: list[Any], args: Any) -> np.ndarray:
    return np.array([_member(v, args.value_set) for v in values], dtype=bool)


def _outside(numbers: np.ndarray, args: Any) -> np.ndarray:
    bad = np.zeros(len(numbers), dtype=bool)
    if args.min_value is not None:
        bad |= numbers <= args.min_value if args.strict_min else numbers < args.min_value
    if args.max_value is not None:
        bad |= numbers >= args.max_value if args.strict_max else numbers > args.max_value
    return bad


def _between(values: list[Any], args: Any) -> np.ndarray:
    try:
        numbers = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"expect_column_values_to_be_between needs numbers: {exc}") from exc
    return _outside(numbers, args)


def _lengths(values: list[Any]) -> np.ndarray:
    return np.array([len(_as_text(v)) for v in values], dtype=np.float64)


def _length_between(values: list[Any], args: Any) -> np.ndarray:
    return _outside(_lengths(values), args)


def _length_equal(values: list[Any], args: Any) -> np.ndarray:
    return np.asarray(_lengths(values) != args.value, dtype=bool)


def _json_parseable(values: list[Any], args: Any) -> np.ndarray:
    def bad(value: Any) -> bool:
        try:
            json.loads(value)
        except Exception:
            return True
        return False
    return np.array([bad(v) for v in values], dtype=bool)


def _nothing(values: list[Any], args: Any) -> np.ndarray:
    return np.zeros(len(values), dtype=bool)


def _everything(values: list[Any], args: Any) -> np.ndarray:
    return np.ones(len(values), dtype=bool)


# Uniqueness needs every batch: its rows are counted by value hash in the validator's state instead.
PREDICATES: dict[str, Predicate] = {
    "expect_column_values_to_not_be_null": _nothing,
    "expect_column_values_to_be_null": _everything,
    "expect_column_values_to_match_regex": _match_regex,
    "expect_column_values_to_not_match_regex": _not_match_regex,
    "expect_column_values_to_match_regex_list": _match_regex_list,
    "expect_column_values_to_not_match_regex_list": _not_match_regex_list,
    "expect_column_values_to_be_in_set": _in_set,
    "expect_column_values_to_not_be_in_set": _not_in_set,
    "expect_column_values_to_be_between": _between,
    "expect_column_value_lengths_to_be_between": _length_between,
    "expect_column_value_lengths_to_equal": _length_equal,
    "expect_column_values_to_be_json_parseable": _json_parseable,
}
