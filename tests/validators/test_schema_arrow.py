"""The schema check's value rules on Arrow against pandera's own checks: equal failing rows on adversarial
arrays (unicode, empty text, nulls, NaN, infinities, integers past 2**53, sliced at offsets), equal results
from the whole check, and no pandas or pandera in a run whose rules all run on Arrow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from traingate.contracts import parse_contract
from traingate.data.batch import BatchContext
from traingate.data.tokenizers import get_tokenizer
from traingate.validators import build
from traingate.validators.format import schema_arrow
from traingate.validators.format.pandera_bridge import ColumnSpec, pandera_fails
from traingate.validators.format.schema_arrow import arrow_fails, failing_rows, rules

BIG = 2**53
TEXTS = st.one_of(st.text(max_size=6), st.sampled_from(["", "a", "en", "٣", "é", "e\u0301", "x\n", "\U0001f600",
                                                        "1", "-2.5", "0.1", " 5", "1e3", "inf", "nan", ".5", "+3",
                                                        "007", "-0", "9007199254740993", "1_000", "0x10"]))
INTS = st.one_of(st.integers(-5, 5), st.integers(-2**63, 2**63 - 1), st.integers(BIG - 2, BIG + 2),
                 st.integers(-BIG - 2, -BIG + 2))
FLOATS = st.one_of(st.floats(), st.sampled_from([0.0, -0.0, 0.5, 1.0, float("inf"), float(BIG), 0.1]))
KINDS = {"text": (TEXTS, pa.string()), "large": (TEXTS, pa.large_string()), "int": (INTS, pa.int64()),
         "float": (FLOATS, pa.float64()), "bool": (st.booleans(), pa.bool_())}
ATOMS = ["a", "é", "[a-z]", "[^b]", ".", "(?:ab|c)", "[0-9]", "x*", "(?:a|)", "٣"]


@st.composite
def arrays(draw: Any) -> pa.Array:
    values, kind = KINDS[draw(st.sampled_from(sorted(KINDS)))]
    items = draw(st.lists(st.one_of(values, st.none()), max_size=12))
    start = draw(st.integers(0, len(items)))
    return pa.array(items, kind).slice(start // 2, len(items))  # an offset into the buffers, as a batch has


def specs(array: pa.Array) -> Any:
    seen = [v for v in array.to_pylist() if v is not None]
    anything = st.one_of(TEXTS, INTS, FLOATS.filter(lambda f: f == f), st.booleans())
    allowed = st.lists(st.one_of(st.sampled_from(seen) if seen else anything, anything), max_size=4)
    bound = st.one_of(st.none(), st.floats(allow_nan=False), st.sampled_from([0.0, 0.5, 1.0, float(BIG), -5.0]))
    length = st.one_of(st.none(), st.integers(0, 4))
    regex = st.one_of(st.none(), st.lists(st.sampled_from(ATOMS), min_size=1, max_size=3).map("".join))
    return st.builds(ColumnSpec, isin=st.one_of(st.none(), allowed), min=bound, max=bound,
                     min_length=length, max_length=length, regex=regex)


def _agree(array: pa.Array, spec: ColumnSpec) -> None:
    for rule in rules(spec):
        ours = arrow_fails(spec, rule, array)
        try:
            theirs = pandera_fails(spec, rule, array)  # str_matches: Python `re` with (?:pattern)\Z
        except TypeError:  # pandera errs (a bound against a type it cannot compare): so must the check
            assert ours is None, rule
            continue
        if ours is not None:
            assert ours.tolist() == theirs.tolist(), (rule, array, spec)


def _usable(spec: ColumnSpec) -> bool:
    """Some rule, and no empty length interval (which errs the check: test below)."""
    return bool(rules(spec)) and (spec.min_length is None or spec.max_length is None
                                  or spec.min_length <= spec.max_length)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_rule_on_arrow_fails_the_rows_pandera_fails(data: Any) -> None:
    array = data.draw(arrays())
    spec = data.draw(specs(array))
    assume(_usable(spec))
    _agree(array, spec)


@pytest.mark.slow
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_rule_on_arrow_fails_the_rows_pandera_fails_at_length(data: Any) -> None:
    array = data.draw(arrays())
    spec = data.draw(specs(array))
    assume(_usable(spec))
    _agree(array, spec)


@pytest.mark.parametrize(("rule", "spec", "array"), [
    ("isin", {"isin": ["en", 1, True]}, pa.array(["en", None, "fr", "1", "True"])),
    ("isin", {"isin": [1, 2.0, True, "1"]}, pa.array([1, 2, 3, None])),
    ("isin", {"isin": [0.5, 1]}, pa.array([0.5, float("nan"), None, 2.0])),
    ("str_length", {"min_length": 2}, pa.array(["\U0001f600", "é", None, ""])),
    ("str_length", {"max_length": 1}, pa.array([7, 12, None])),
    ("str_length", {"max_length": 3}, pa.array([1.5, float("nan"), None])),
    ("greater_than_or_equal_to", {"min": 0.5}, pa.array([BIG + 1, 0, None])),
    ("less_than_or_equal_to", {"max": 1.0}, pa.array([float("nan"), 2.0, -float("inf"), None])),
    ("less_than_or_equal_to", {"max": 1.0}, pa.array(["0.5", "2", None, "-3"])),
    ("greater_than_or_equal_to", {"min": 1.0}, pa.array([True, False, None])),
    ("str_matches", {"regex": "r[0-9]+"}, pa.array(["r1", "r", None, "xr1", "r1\n"])),
])
def test_the_common_rules_run_on_arrow_and_agree(rule: str, spec: dict[str, Any], array: pa.Array) -> None:
    column = ColumnSpec(**spec)
    ours = arrow_fails(column, rule, array)
    assert ours is not None
    assert ours.tolist() == pandera_fails(column, rule, array).tolist()


@pytest.mark.parametrize(("rule", "spec", "array"), [
    ("greater_than_or_equal_to", {"min": 0.0}, pa.array(["1e3", " 5", "x"])),  # pandas' own number parser
    ("greater_than_or_equal_to", {"min": 0.0}, pa.array([0.1], pa.float32())),  # numpy compares in float32
    ("isin", {"isin": [BIG + 1]}, pa.array([BIG + 1, None])),  # pandas reads this batch as float64
    ("isin", {"isin": [True]}, pa.array([True, None])),
    ("str_length", {"min_length": 1}, pa.array([b"ab"])),
])
def test_where_arrow_cannot_match_pandera_decides(rule: str, spec: dict[str, Any], array: pa.Array) -> None:
    column = ColumnSpec(**spec)
    assert arrow_fails(column, rule, array) is None
    pandera_fails(column, rule, array)  # pandera answers these


def test_an_empty_length_interval_errs_the_check_with_panderas_words() -> None:
    with pytest.raises(ValueError, match="defines an empty interval"):
        failing_rows({"s": ColumnSpec(min_length=3, max_length=2, regex="a")}, {"s": pa.array(["a"])}, 1)


def test_regexes_are_re2_as_the_contract_language_says() -> None:
    """RE2's \\d is ASCII: an Arabic-Indic digit fails here, where Python `re` (pandera) would pass it."""
    fails = arrow_fails(ColumnSpec(regex=r"\d+"), "str_matches", pa.array(["12", "٣", None]))
    assert fails is not None and fails.tolist() == [False, True, False]


SCHEMA = """contract: t
version: 1.0.0
dataset: {kind: sft, fields: {prompt: p, response: p}}
checks:
  format:
    - type: schema
      columns:
        s: {regex: '[a-z]+', isin: [ab, b, '1'], min_length: 1, max_length: 2, min: 0, max: 5, nullable: true}
        n: {isin: [1, 2.0, '3'], min_length: 2, min: 1, max: 3, nullable: true, unique: true}
        f: {isin: [0.5, 1], max_length: 3, min: 0, max: 1, nullable: true}
        b: {isin: [true], min: 1, nullable: true}
"""
ROW = st.fixed_dictionaries({"s": st.one_of(st.none(), TEXTS), "n": st.one_of(st.none(), INTS),
                             "f": st.one_of(st.none(), FLOATS), "b": st.one_of(st.none(), st.booleans())})


def _fold(rows: list[dict[str, Any]], cuts: list[int]) -> dict[str, Any]:
    contract = parse_contract(SCHEMA, "c.yaml")
    table = pa.Table.from_pylist(rows, pa.schema([("s", pa.string()), ("n", pa.int64()), ("f", pa.float64()),
                                                  ("b", pa.bool_())]))
    validator = build(contract.all_checks()[0], contract.dataset, "format.schema")
    state = validator.create_state()
    bounds = sorted({0, *[c % (len(rows) + 1) for c in cuts], len(rows)})
    for start, end in zip(bounds, bounds[1:]):
        state = validator.add_batch(state, BatchContext(
            table.slice(start, end - start), contract.dataset, get_tokenizer("whitespace"), file="f.jsonl",
            file_index=0, lines=np.arange(start + 1, end + 1), unit="line", split="train", row_offset=start))
    result: dict[str, Any] = validator.finalize(state).model_dump()
    return result


def _compare(rows: list[dict[str, Any]], cuts: list[int]) -> None:
    ours = _fold(rows, cuts)
    original = schema_arrow.arrow_fails
    schema_arrow.arrow_fails = lambda spec, rule, array: (  # type: ignore[assignment]
        original(spec, rule, array) if rule == "str_matches" else None)
    try:
        theirs = _fold(rows, cuts)
    finally:
        schema_arrow.arrow_fails = original
    assert ours == theirs


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ROW, min_size=1, max_size=30), cuts=st.lists(st.integers(0, 40), max_size=4))
def test_the_check_on_arrow_equals_the_check_through_pandera(rows: list[dict[str, Any]], cuts: list[int]) -> None:
    """Verdict, counts per reason and samples, whatever the batches: Arrow where it answers, against pandera
    for every value rule but the regex (RE2 in both, as before)."""
    _compare(rows, cuts)


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ROW, min_size=1, max_size=60), cuts=st.lists(st.integers(0, 70), max_size=6))
def test_the_check_on_arrow_equals_the_check_through_pandera_at_length(rows: list[dict[str, Any]],
                                                                       cuts: list[int]) -> None:
    _compare(rows, cuts)


RUN = """
import json, sys
from traingate.contracts import load_contract
from traingate.engine.runner import validate
r = validate(load_contract(sys.argv[1]), [sys.argv[2]])
print(json.dumps({"by_reason": r.checks[0].details["by_reason"],
                  "loaded": sorted(m for m in ("pandas", "pandera") if m in sys.modules)}))
"""


ARROW_ONLY = """contract: t
version: 1.0.0
dataset: {kind: sft, fields: {prompt: s, response: s}}
checks:
  format:
    - type: schema
      columns:
        s: {dtype: string, regex: '[a-z]+', isin: [ab, b], min_length: 1, max_length: 2, nullable: true}
        n: {dtype: int, isin: [1, 2.0], min: 1, max: 3, nullable: true, unique: true}
        f: {dtype: number, isin: [0.5, 1], max: 1, nullable: true}
"""


def test_a_run_whose_rules_all_run_on_arrow_loads_neither_pandas_nor_pandera(tmp_path: Path) -> None:
    contract = tmp_path / "c.yaml"
    contract.write_text(ARROW_ONLY)
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in [
        {"s": "ab", "n": 1, "f": 0.5}, {"s": "zzz", "n": 1, "f": 2.0}, {"s": None, "n": 30, "f": None}]))
    out = subprocess.run([sys.executable, "-c", RUN, str(contract), str(data)], capture_output=True, text=True,
                         check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["by_reason"] == {"isin:f": 1, "isin:n": 1, "isin:s": 1, "less_than_or_equal_to:f": 1,
                                   "less_than_or_equal_to:n": 1, "str_length:s": 1, "unique:n": 1}
    assert result["loaded"] == []
