"""The schema check's value rules on Arrow compute kernels, with pandera's semantics where they can be matched
exactly; `arrow_fails` answers None where they cannot, and the rule runs through pandera as before.

What each rule sees, as pandera's `Check` sees it after `to_pandas()` (nulls, and NaN in a float column, are
dropped before a check runs, so they pass every value rule; `nullable` judges them):

- `regex` (`str_matches`): RE2 over the value as text (non-text values cast by Arrow), anchored at both ends.
  The contract language defines regexes as RE2 (docs/contracts.md), so this rule never runs on Python `re`:
  where RE2 and `re` differ (`\\d`, `\\w`, `\\s`, `\\b` are ASCII in RE2; no lookarounds or backreferences, which
  the loader refuses), RE2 decides, as it always has.
- `isin`: a text column against the allowed texts (a text never equals a number or a boolean in pandas); an
  integer or float column against the allowed numbers by value (True is 1, False is 0), when every integer
  involved lies within 2**53, where pandas' float conversion of a batch with nulls is exact. Otherwise pandera.
- `min_length`/`max_length` (`str_length`): code points of text, of integers, floats and booleans as Arrow
  casts them to text (NaN as "nan"). Other types: pandera.
- `min`/`max` (`greater_than_or_equal_to`, `less_than_or_equal_to`): integer, float64 and boolean columns compared
  as float64, as numpy compares them with a Python float. Text is parsed as pandas' `to_numeric` would when every
  value of the batch is a plain decimal (at most 15 digits each side of the point), where both parse exactly;
  a batch holding any other text takes pandera's path, as do float16/float32 (numpy compares them in their own
  precision) and every other type.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from traingate.data.arrays import bools, numbers, strings
from traingate.data.tokenizers import char_counts
from traingate.validators.format.pandera_bridge import ColumnSpec, column_checks, pandera_fails

EXACT = 2**53  # integers up to here survive float64 unchanged
DECIMAL = r"^-?[0-9]{1,15}(?:\.[0-9]{1,15})?$"
BOUNDS = ("greater_than_or_equal_to", "less_than_or_equal_to")


def rules(spec: ColumnSpec) -> list[str]:
    """The names of pandera's checks a column's value rules declare, in pandera_bridge.column_checks' order."""
    named = [("str_matches", spec.regex is not None), ("isin", spec.isin is not None),
             ("str_length", spec.min_length is not None or spec.max_length is not None),
             ("greater_than_or_equal_to", spec.min is not None), ("less_than_or_equal_to", spec.max is not None)]
    return [name for name, declared in named if declared]


def failing_rows(columns: dict[str, ColumnSpec], arrays: dict[str, pa.Array],
                 num_rows: int) -> dict[tuple[str, str], np.ndarray]:
    """(column, check name) -> rows failing it, on Arrow where it matches pandera exactly, else through pandera;
    null values pass (nullability is checked apart). Nested columns have no value rules."""
    out: dict[tuple[str, str], np.ndarray] = {}
    for name, spec in columns.items():
        array = arrays.get(name)
        if array is None or pa.types.is_nested(array.type):
            continue
        if spec.min_length is not None and spec.max_length is not None and spec.min_length > spec.max_length:
            column_checks(spec)  # pandera refuses the empty interval: the check errs with its words, as before
        if num_rows == 0:
            continue
        for rule in rules(spec):
            failed = arrow_fails(spec, rule, array)
            if failed is None:
                failed = pandera_fails(spec, rule, array)
            if failed.any():
                out[(name, rule)] = failed
    return out


def is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def arrow_fails(spec: ColumnSpec, rule: str, array: pa.Array) -> np.ndarray | None:
    """Rows of `array` failing `rule` (null values pass), or None when only pandera can say exactly."""
    if pa.types.is_null(array.type):
        return np.zeros(len(array), dtype=bool)
    if rule == "str_matches":
        return regex_fails(array, spec.regex or "")
    if rule == "isin":
        return _isin_fails(array, spec.isin or [])
    if rule == "str_length":
        return _length_fails(array, spec.min_length, spec.max_length)
    bound = spec.min if rule == BOUNDS[0] else spec.max
    values = _as_float(array)
    if values is None or bound is None:
        return None
    number = numbers(values, np.nan)
    with np.errstate(invalid="ignore"):
        inside = number >= bound if rule == BOUNDS[0] else number <= bound
    fails: np.ndarray = ~inside & ~np.isnan(number)  # null and NaN read as NaN: dropped by pandera, so pass
    return fails


def regex_fails(array: pa.Array, pattern: str) -> np.ndarray:
    """Rows whose value (as text) does not fully match `pattern`, in linear time (RE2: no pattern can hang a
    value), nulls passing."""
    text = array if is_text(array.type) else array.cast(pa.string())
    return bools(pc.invert(pc.match_substring_regex(text, f"^(?:{pattern})$")))  # a null stays null: passes


def _valid(array: pa.Array) -> np.ndarray:
    return bools(array.is_valid())


def _isin_fails(array: pa.Array, allowed: list[str | int | float | bool]) -> np.ndarray | None:
    kind = array.type
    if is_text(kind):
        texts = strings([v for v in allowed if isinstance(v, str)]).cast(kind)
        fails: np.ndarray = _valid(array) & ~bools(pc.is_in(array, value_set=texts))
        return fails
    if not (pa.types.is_integer(kind) or kind == pa.float64()):
        return None
    numeric = [v for v in allowed if not isinstance(v, str)]
    if any(abs(v) > EXACT for v in numeric if not isinstance(v, float) or (np.isfinite(v) and v.is_integer())):
        return None
    wanted = [float(v) for v in numeric]
    if pa.types.is_integer(kind):
        values = numbers(array)
        if len(values) and (int(values.min()) < -EXACT or int(values.max()) > EXACT):
            return None
        fails = _valid(array) & ~np.isin(values.astype(np.float64), np.array(wanted, dtype=np.float64))
        return fails
    values = numbers(array, np.nan)
    fails = ~np.isnan(values) & ~np.isin(values, np.array(wanted, dtype=np.float64))
    return fails


def _length_fails(array: pa.Array, low: int | None, high: int | None) -> np.ndarray | None:
    kind = array.type
    if not (is_text(kind) or pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)):
        return None
    text = array if is_text(kind) else array.cast(pa.string())
    length = char_counts(text)  # pyarrow's utf8_length (nulls 0: they pass below)
    outside = np.zeros(len(array), dtype=bool)
    if low is not None:
        outside |= length < low
    if high is not None:
        outside |= length > high
    fails: np.ndarray = outside & _valid(array)
    return fails


def _as_float(array: pa.Array) -> pa.Array | None:
    """The column as float64 the way pandas compares it with a bound, or None where that cannot be exact."""
    kind = array.type
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        return array.cast(pa.float64(), safe=False)  # rounds to nearest, as numpy's int64 -> float64
    if kind == pa.float64():
        return array
    if is_text(kind):
        plain = pc.match_substring_regex(array, DECIMAL)
        if pc.all(plain).as_py() is False:  # some text is not a plain decimal: pandas' parser decides
            return None
        return array.cast(pa.float64())
    return None
